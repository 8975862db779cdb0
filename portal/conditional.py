"""Responses made from bytes the web process already holds: an ETag, `304 Not Modified` on a
matching `If-None-Match`, and the Cache-Control of what they are.

Cache-Control. A document whose id names its bytes (no guardian set can add signatures to it) is
`immutable`. Everything that says how things stand now (the newest attestation, the summary, the
dashboard) is `public, max-age=2, must-revalidate`: a CDN in front absorbs a crowd (one request per
edge every 2 s, then a 304 when nothing changed), yet never shows a status more than 2 s older than
the origin would, and never serves an old answer when the origin fails (no `stale-if-error`).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType

FRESH = "public, max-age=2, must-revalidate"
IMMUTABLE = "public, max-age=31536000, immutable"
MAX_IF_NONE_MATCH = 4096  # more tags than any client sends: treated as no match


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 13.1.2: weak comparison against each listed tag, or `*`."""
    if not if_none_match or len(if_none_match) > MAX_IF_NONE_MATCH:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def cached(
    request: Request,
    body: bytes,
    etag: str,
    cache_control: str = FRESH,
    media_type: str = MediaType.JSON,
) -> Response[Any]:
    """`body` with its ETag, or an empty 304 when the client already holds it."""
    headers = {"ETag": etag, "Cache-Control": cache_control}  # the gzip layer adds Vary: Accept-Encoding
    if matches(request.headers.get("if-none-match"), etag):
        return Response(b"", status_code=304, headers=headers, media_type=media_type)
    return Response(body, headers=headers, media_type=media_type)


def accepts_gzip(value: str | None) -> bool:
    """Whether Accept-Encoding allows gzip: an explicit `gzip` entry decides, else `*`; q=0 refuses."""
    if not value:
        return False
    decision: dict[str, bool] = {}
    for item in value.split(","):
        coding, _, params = item.strip().partition(";")
        coding = coding.strip().lower()
        if coding in ("gzip", "*") and coding not in decision:
            q = params.strip().lower().replace(" ", "").removeprefix("q=")
            try:
                decision[coding] = float(q) > 0 if q else True
            except ValueError:
                decision[coding] = False
    return decision.get("gzip", decision.get("*", False))
