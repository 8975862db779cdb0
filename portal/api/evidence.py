"""GET /api/v1/evidence/{txid}/{vout}: the stored SPV evidence bundle of one counted UTXO."""

from __future__ import annotations

from typing import Annotated, Any, cast

from litestar import Request, Response, get
from litestar.enums import MediaType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from portal.api import params
from portal.api.attestations import ErrorBody
from portal.api.compressed import OWN_COMPRESSION, accepts_gzip, etag_matches
from portal.deps import Evidence

# The URL names the latest attestation's evidence, which changes with each attestation: short-lived,
# revalidated by ETag (the document of one attestation and outpoint never changes).
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
    # Compressed once when built, not per request on the event loop (gzip of 8 MB takes a second).
    opt=OWN_COMPRESSION,
)
async def evidence(
    request: Request,
    evidence: Evidence,
    txid: Annotated[
        str,
        Parameter(min_length=64, max_length=64, pattern=params.HEX64_ANY_CASE, description="txid, 64 hex digits"),
    ],
    vout: Annotated[int, Parameter(ge=0, le=2**32 - 1, description="output index")],
) -> Response[dict[str, Any]]:
    built = await evidence.built(txid, vout)
    gz = accepts_gzip(request)
    headers = {**CACHE, "ETag": built.gzip_etag if gz else built.etag, "Vary": "Accept-Encoding"}
    if etag_matches(request, built.etag, built.gzip_etag):
        return cast("Response[dict[str, Any]]", Response(content=b"", status_code=304, headers=headers))
    if gz:
        headers["Content-Encoding"] = "gzip"
    # The bytes are the JSON of the documented object, encoded (and compressed) once when built.
    response = Response(content=built.gzipped if gz else built.body, media_type=MediaType.JSON, headers=headers)
    return cast("Response[dict[str, Any]]", response)
