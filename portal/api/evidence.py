"""GET /api/v1/evidence/{txid}/{vout}: the stored SPV evidence bundle of one counted UTXO."""

from __future__ import annotations

from typing import Annotated, Any, cast

from litestar import Request, Response, get
from litestar.enums import MediaType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from portal.api.attestations import ErrorBody
from portal.deps import Evidence

# The URL names the latest attestation's evidence, which changes with each attestation: short-lived,
# revalidated by ETag (the document of one attestation and outpoint never changes).
CACHE = {"Cache-Control": "public, max-age=30"}


def etag_matches(request: Request, etag: str) -> bool:
    """Whether If-None-Match names `etag` (or is `*`); weak forms compare equal, as GET allows."""
    given = request.headers.get("if-none-match")
    if not given:
        return False
    tags = {t.strip().removeprefix("W/") for t in given.split(",")}
    return "*" in tags or etag in tags


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
    request: Request,
    evidence: Evidence,
    txid: Annotated[str, Parameter(min_length=64, max_length=64, description="txid, 64 hex digits")],
    vout: Annotated[int, Parameter(ge=0, le=2**32 - 1, description="output index")],
) -> Response[dict[str, Any]]:
    built = await evidence.built(txid, vout)
    headers = {**CACHE, "ETag": built.etag}
    if etag_matches(request, built.etag):
        return cast("Response[dict[str, Any]]", Response(content=b"", status_code=304, headers=headers))
    # The bytes are the JSON of the documented object, encoded once when the bundle was built.
    response = Response(content=built.body, media_type=MediaType.JSON, headers=headers)
    return cast("Response[dict[str, Any]]", response)
