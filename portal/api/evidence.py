"""GET /api/v1/evidence/{txid}/{vout}: the stored SPV evidence bundle of one counted UTXO."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from portal.api import params
from portal.api.attestations import ErrorBody
from portal.deps import Evidence

CACHE = {"Cache-Control": "public, max-age=30"}


@get(
    "/api/v1/evidence/{txid:str}/{vout:int}",
    summary="SPV evidence of a counted UTXO",
    description="The transaction (without witnesses), its merkle branch and the headers from its block up to "
    "the tip the latest attestation was valid at; check it offline with `reserves verify-evidence`. "
    "404 `not_found` when the outpoint is not counted, 404 `evidence_pending` while not collected yet.",
    tags=["reserves"],
    responses={
        400: ResponseSpec(
            data_container=ErrorBody, description="Malformed txid or vout (code invalid_input)", generate_examples=False
        ),
        404: ResponseSpec(
            data_container=ErrorBody,
            description="Not counted (not_found) or not collected yet (evidence_pending)",
            generate_examples=False,
        ),
    },
)
async def evidence(
    evidence: Evidence,
    txid: Annotated[
        str,
        Parameter(min_length=64, max_length=64, pattern=params.HEX64_ANY_CASE, description="txid, 64 hex digits"),
    ],
    vout: Annotated[int, Parameter(ge=0, le=2**32 - 1, description="output index")],
) -> Response[dict[str, Any]]:
    return Response(await evidence.evidence(txid, vout), headers=CACHE)
