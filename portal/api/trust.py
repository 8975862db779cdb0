"""JSON API of guardians, finality, keys, engine events and the audit log: thin handlers over TrustService."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, Parameter

from portal.api import params
from portal.api.attestations import error_responses
from portal.api.compressed import OWN_COMPRESSION, json_response
from portal.deps import Hot, Trust
from reserves.storage.events import PUBLIC_KINDS as KINDS
from reserves.trust.service import MAX_PAGE

NO_STORE = {"Cache-Control": "no-store"}
SHORT = {"Cache-Control": "public, max-age=5"}


@dataclass
class GuardianSignature:
    """A guardian's BIP-340 signature over the 32 bytes of the attestation id (hex), and its x-only key."""

    pubkey: Annotated[str, Parameter(pattern=params.HEX64_ANY_CASE, description="x-only key, 64 hex digits")]
    sig: Annotated[str, Parameter(pattern=params.HEX128_ANY_CASE, description="signature, 128 hex digits")]


class TrustController(Controller):
    path = "/api/v1"
    tags = ["guardians"]

    @get(
        "/attestations/pending",
        summary="Attestations waiting for guardian signatures, oldest first",
        description="Envelopes as /attestations/{id} serves them; pass `next_after` back as `after`.",
        responses=error_responses(400),
        opt=OWN_COMPRESSION,
    )
    async def pending(
        self,
        request: Request,
        trust: Trust,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="page size")] = 50,
        after: Annotated[
            int | None,
            # Litestar drops a falsy bound (ge=0) from the schema: declared again as schema_extra.
            Parameter(ge=0, le=2**53 - 1, schema_extra={"minimum": 0}, description="only sequences after this"),
        ] = None,
    ) -> Response[dict[str, Any]]:
        # Up to 8 MiB: compressed in a worker thread, not by the app's gzip layer on the event loop.
        return await json_response(request, await trust.pending(limit=limit, after=after), NO_STORE)

    @get(
        "/attestations/{attestation_id:str}/signatures",
        summary="Finality: which guardians signed, and when",
        responses=error_responses(400, 404),
    )
    async def finality(
        self,
        trust: Trust,
        attestation_id: Annotated[
            str, Parameter(min_length=64, max_length=64, pattern=params.HEX64, description="attestation id")
        ],
    ) -> Response[dict[str, Any]]:
        return Response(await trust.finality(attestation_id), headers=SHORT)

    @post(
        "/attestations/{attestation_id:str}/signatures",
        status_code=201,
        summary="Submit a guardian's signature of an attestation id",
        description="Accepted when the key is a guardian of the attestation (or of the set before it, when "
        "the attestation changes the set), the BIP-340 signature verifies for this id, and the key "
        "has not signed it yet. Codes: invalid_input, invalid_signature (400), unknown_guardian (403), "
        "not_found (404), duplicate_signature, no_guardian_set (409).",
        responses=error_responses(400, 403, 404, 409),
    )
    async def submit(
        self,
        trust: Trust,
        hot: Hot,
        data: JSONBody[GuardianSignature],
        attestation_id: Annotated[
            str,
            Parameter(min_length=64, max_length=64, pattern=params.HEX64_ANY_CASE, description="attestation id"),
        ],
    ) -> dict[str, Any]:
        result = await trust.submit_signature(attestation_id, data.pubkey, data.sig)
        await hot.refresh()  # this process serves the signature at once; the others within their poll
        return result

    @get(
        "/guardians",
        summary="The guardian set of the newest attestation and who signed it",
        responses=error_responses(404),
    )
    async def guardians(self, trust: Trust) -> Response[dict[str, Any]]:
        return Response(await trust.guardians(), headers=SHORT)

    @get("/keys", summary="Every key that signs or co-signs attestations, with its history", tags=["attestations"])
    async def keys(self, trust: Trust) -> dict[str, Any]:
        return {"keys": await trust.keys()}

    @get(
        "/events",
        summary="Engine events: status changes, flagged flows, rotations, guardian set changes, finality",
        description=f"Newest first; `kind` one of {', '.join(KINDS)}; pass `next_before` back as `before`.",
        tags=["events"],
        responses=error_responses(400),
    )
    async def events(
        self,
        trust: Trust,
        kind: Annotated[
            str | None,
            Parameter(max_length=32, schema_extra={"pattern": params.one_of(KINDS)}, description="event kind"),
        ] = None,
        before: Annotated[int | None, Parameter(ge=1, le=2**53 - 1, description="cursor")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="page size")] = 50,
    ) -> Response[dict[str, Any]]:
        return Response(await trust.events(kind=kind, before=before, limit=limit), headers=SHORT)

    @get(
        "/assurance",
        summary="Finality, window, flows, scope and status basis of the newest attestation",
        description="With the keys, recent engine events, audit entries and anchors: the dashboard's panel as JSON.",
        tags=["attestations"],
    )
    async def assurance(self, trust: Trust) -> Response[dict[str, Any]]:
        return Response(await trust.assurance(), headers=SHORT)

    @get(
        "/anchors",
        summary="Attestation ids published on an EVM chain, newest first",
        tags=["attestations"],
        responses=error_responses(400),
    )
    async def anchors(
        self,
        trust: Trust,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="how many")] = 50,
    ) -> Response[dict[str, Any]]:
        return Response(await trust.anchors(limit=limit), headers=SHORT)

    @get(
        "/audit",
        summary="The append-only audit log of operator actions (hash-chained)",
        tags=["events"],
        description="Newest first; each entry's hash covers it and the hash before it.",
        responses=error_responses(400),
    )
    async def audit(
        self,
        trust: Trust,
        before: Annotated[int | None, Parameter(ge=1, le=2**53 - 1, description="cursor")] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="page size")] = 50,
    ) -> Response[dict[str, Any]]:
        return Response(await trust.audit(before=before, limit=limit), headers=SHORT)
