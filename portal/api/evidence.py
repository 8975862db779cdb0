"""GET /api/v1/evidence/{txid}/{vout}: the stored SPV evidence bundle of one counted UTXO."""

from __future__ import annotations

from typing import Annotated, Any, cast

from litestar import Request, Response, get
from litestar.enums import MediaType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from portal.api.attestations import ErrorBody
from portal.api.stream import NO_COMPRESSION
from portal.deps import Evidence

# The URL names the latest attestation's evidence, which changes with each attestation: short-lived,
# revalidated by ETag (the document of one attestation and outpoint never changes).
CACHE = {"Cache-Control": "public, max-age=30"}


def etag_matches(request: Request, *etags: str) -> bool:
    """Whether If-None-Match names one of `etags` (or is `*`); weak forms compare equal, as GET allows."""
    given = request.headers.get("if-none-match")
    if not given:
        return False
    tags = {t.strip().removeprefix("W/") for t in given.split(",")}
    return "*" in tags or not tags.isdisjoint(etags)


def accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


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
    opt={NO_COMPRESSION: True},
)
async def evidence(
    request: Request,
    evidence: Evidence,
    txid: Annotated[str, Parameter(min_length=64, max_length=64, description="txid, 64 hex digits")],
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
