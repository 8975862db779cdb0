"""Public JSON and partials of mint-to-deposit reconciliation, and the admin link submission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, Parameter

from portal.api import params
from portal.api.admin import AUTH_ERRORS
from portal.api.admin_auth import CALLER, OPERATE, Caller, admin_guard
from portal.api.proofs import error_specs
from portal.deps import Reconcile
from reserves.attestation.fields import MAX_NAME
from reserves.reconcile.repository import LinkExists
from reserves.reconcile.rules import STATUSES
from reserves.reconcile.service import KINDS, MAX_LIMIT, MAX_LOG_INDEX, MAX_NOTE_CHARS, MAX_VOUT

CACHE = {"Cache-Control": "public, max-age=15"}


def _conflict(_: Request, exc: LinkExists) -> Response:
    return Response({"error": {"code": exc.code, "detail": exc.detail}}, status_code=409)


_Q = dict(max_length=64, required=False)


class ReconciliationController(Controller):
    path = "/api/v1"
    tags = ["reconciliation"]

    @get(
        "/reconciliation",
        summary="Mints checked against Bitcoin deposits, burns against releases",
        description="Counts per status and the newest items (filter by status, kind, deployment; limit 1-500). "
        "Mints: reconciled / pending / unreconciled with a reason code; burns: released / "
        "awaiting_release / unreleased. See docs/reconciliation.md.",
        responses=error_specs(s400="Bad filter (invalid_status, invalid_kind, unknown_deployment, invalid_limit)"),
    )
    async def listing(
        self,
        reconcile: Reconcile,
        status: Annotated[str | None, Parameter(**_Q, schema_extra={"pattern": params.one_of(STATUSES)})] = None,
        kind: Annotated[str | None, Parameter(**_Q, schema_extra={"pattern": params.one_of(KINDS)})] = None,
        deployment: Annotated[str | None, Parameter(**_Q)] = None,
        limit: Annotated[
            str | None,
            Parameter(
                max_length=8,  # longer is the service's invalid_limit; it reads at most 4 digits
                required=False,
                schema_extra={"pattern": params.in_range(1, MAX_LIMIT), "maxLength": 4},
            ),
        ] = None,
    ) -> Response[dict[str, Any]]:
        view = await reconcile.view(status=status, kind=kind, deployment=deployment, limit=limit)
        return Response(view, headers=CACHE)


@dataclass
class LinkSubmission:
    """Names a mint's deposit (or a burn's release) for a Transfer log without Mint/Burn data.

    `deployment` (a configured name), `tx_hash` (0x + 64 hex, the token transaction), `log_index`
    (the Transfer log's index, integer), `btc_txid` (64 hex), `vout` (integer 0 to 2**32-1), `note`
    (printable text, at most 500 characters). Typed loosely on purpose: the service checks each field
    strictly (no "3" for 3, no true for 1) and answers with the field's own error code.
    """

    # The schema still says what is accepted (schema_extra: documentation only, nothing converts).
    deployment: Annotated[Any, Parameter(schema_extra={"type": "string", "minLength": 1, "maxLength": MAX_NAME})]
    tx_hash: Annotated[Any, Parameter(schema_extra={"type": "string", "pattern": params.EVM_HASH_ANY_CASE})]
    log_index: Annotated[Any, Parameter(schema_extra={"type": "integer", "minimum": 0, "maximum": MAX_LOG_INDEX})]
    btc_txid: Annotated[Any, Parameter(schema_extra={"type": "string", "pattern": params.HEX64_ANY_CASE})]
    vout: Annotated[Any, Parameter(schema_extra={"type": "integer", "minimum": 0, "maximum": MAX_VOUT})]
    note: Annotated[
        Any,
        Parameter(
            schema_extra={"type": ["string", "null"], "maxLength": MAX_NOTE_CHARS, "pattern": "^[^\\x00-\\x1f\\x7f]*$"}
        ),
    ] = ""


class ReconciliationAdmin(Controller):
    path = "/admin/v1/reconciliation"
    tags = ["admin"]
    guards = [admin_guard]
    dependencies = CALLER
    include_in_schema = False  # documented at /admin/v1/openapi.json (admin_schema)
    exception_handlers = {LinkExists: _conflict}

    @post(
        "/links",
        status_code=201,
        opt=OPERATE,
        summary="Link a mint (or burn) without on-chain data to a Bitcoin output",
        description="Checked on the next reconciliation pass like any claim; a link is never overwritten.",
        responses=error_specs(
            s400="Malformed field (unknown_deployment, invalid_tx_hash, invalid_btc_txid, "
            "invalid_log_index, invalid_vout, invalid_note, event_has_data, invalid_input)",
            s401=AUTH_ERRORS["s401"],
            s403=AUTH_ERRORS["s403"],
            s404="Admin API off, or no such mint/burn Transfer log stored (unknown_event)",
            s409="The event already has a link (link_exists)",
            s413="Body too large",
        ),
    )
    async def link(self, reconcile: Reconcile, caller: Caller, data: JSONBody[LinkSubmission]) -> dict[str, Any]:
        return await reconcile.add_link(
            deployment=data.deployment,
            tx_hash=data.tx_hash,
            log_index=data.log_index,
            btc_txid=data.btc_txid,
            vout=data.vout,
            note=data.note,
            created_by=caller.actor,
        )


ROUTES: list = [ReconciliationController, ReconciliationAdmin]
