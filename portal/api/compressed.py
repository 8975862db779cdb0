"""Large JSON answers compressed off the event loop: the app's gzip layer compresses on the loop, at
level 9, and an 8 MiB page took it about a second, during which no other request was answered."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any, cast

import msgspec
from litestar import Request, Response
from litestar.enums import MediaType

from portal import conditional

# The route option the app's gzip layer skips (the event stream sets it too).
NO_COMPRESSION = "skip_compression"
# Handlers answering through `json_response` opt out of the app's gzip layer with this.
OWN_COMPRESSION = {NO_COMPRESSION: True}
MIN_SIZE = 1024  # the app's own threshold
LEVEL = 6


def accepts_gzip(request: Request) -> bool:
    """Whether the request's Accept-Encoding allows gzip (portal.conditional.accepts_gzip)."""
    return conditional.accepts_gzip(request.headers.get("accept-encoding"))


def etag_matches(request: Request, *etags: str) -> bool:
    """Whether If-None-Match names one of `etags` (or is `*`); weak forms compare equal, as GET allows."""
    given = request.headers.get("if-none-match")
    return any(conditional.matches(given, etag) for etag in etags)


async def json_response(request: Request, content: Any, headers: dict[str, str]) -> Response[dict[str, Any]]:
    """`content` as JSON (msgspec.Raw members are written as they are), gzip-compressed in a worker
    thread when the client accepts it and the body is worth it."""
    body = msgspec.json.encode(content)
    headers = {**headers, "Vary": "Accept-Encoding"}
    if len(body) >= MIN_SIZE and accepts_gzip(request):
        body = await asyncio.to_thread(gzip.compress, body, LEVEL, mtime=0)
        headers["Content-Encoding"] = "gzip"
    # Typed as the documented object: these are its bytes.
    return cast("Response[dict[str, Any]]", Response(content=body, media_type=MediaType.JSON, headers=headers))
