"""Large JSON answers compressed off the event loop: the app's gzip layer compresses on the loop, at
level 9, and an 8 MiB page took it about a second, during which no other request was answered."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any, cast

import msgspec
from litestar import Request, Response
from litestar.enums import MediaType

# The route option the app's gzip layer skips (the event stream sets it too).
NO_COMPRESSION = "skip_compression"
# Handlers answering through `json_response` opt out of the app's gzip layer with this.
OWN_COMPRESSION = {NO_COMPRESSION: True}
MIN_SIZE = 1024  # the app's own threshold
LEVEL = 6


def accepts_gzip(request: Request) -> bool:
    """Whether Accept-Encoding allows gzip (a q of 0 refuses it)."""
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def etag_matches(request: Request, *etags: str) -> bool:
    """Whether If-None-Match names one of `etags` (or is `*`); weak forms compare equal, as GET allows."""
    given = request.headers.get("if-none-match")
    if not given:
        return False
    tags = {t.strip().removeprefix("W/") for t in given.split(",")}
    return "*" in tags or not tags.isdisjoint(etags)


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
