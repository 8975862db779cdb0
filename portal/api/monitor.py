"""Public JSON and partials of the supply event monitor: progress per deployment and discrepancies."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.params import Parameter

from portal.api import params
from portal.api.proofs import error_specs
from portal.deps import Monitor
from reserves.monitor.service import MAX_LIMIT, MAX_OFFSET
from reserves.storage.monitor_models import ISSUE_KINDS

CACHE = {"Cache-Control": "public, max-age=15"}


_Q = dict(max_length=64, required=False)
_N = dict(max_length=12, required=False)
# What the service reads: at most 9 digits (longer is its invalid_limit / invalid_offset).
_LIMIT = {"pattern": params.in_range(1, MAX_LIMIT), "maxLength": 9}
_OFFSET = {"pattern": params.in_range(0, MAX_OFFSET), "maxLength": 9}


class MonitorController(Controller):
    path = "/api/v1/monitor"
    tags = ["monitor"]

    @get(
        "",
        summary="Event replay progress and discrepancies per EVM deployment",
        description="Per deployment: chain, contract, next block to replay, confirmed target and lag, running "
        "supply (decimal string), last totalSupply() check and its block, match flag, events stored, "
        "current eth_getLogs range, open issues and recent reorgs. See docs/monitor.md.",
    )
    async def overview(self, monitor: Monitor) -> Response[dict[str, Any]]:
        return Response(await monitor.overview(), headers=CACHE)

    @get(
        "/issues",
        summary="Monitor issues, newest first",
        description="Filters: deployment, kind (supply_mismatch, reorg, bad_logs, lying_hash, rpc_error), "
        "status (open or all); paging with limit (1-500, default 50) and offset.",
        responses=error_specs(
            s400="Bad parameter (unknown_deployment, invalid_kind, invalid_status, invalid_limit, invalid_offset)"
        ),
    )
    async def issues(
        self,
        monitor: Monitor,
        deployment: Annotated[str | None, Parameter(**_Q)] = None,
        kind: Annotated[str | None, Parameter(**_Q, schema_extra={"pattern": params.one_of(ISSUE_KINDS)})] = None,
        status: Annotated[str | None, Parameter(**_Q, schema_extra={"pattern": params.one_of(("open", "all"))})] = None,
        limit: Annotated[str | None, Parameter(**_N, schema_extra=_LIMIT)] = None,
        offset: Annotated[str | None, Parameter(**_N, schema_extra=_OFFSET)] = None,
    ) -> Response[dict[str, Any]]:
        view = await monitor.issues(deployment=deployment, kind=kind, status=status, limit=limit, offset=offset)
        return Response(view, headers=CACHE)


ROUTES: list = [MonitorController]
