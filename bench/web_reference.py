"""The web benchmark's reference: a trivial Litestar app serving fixed bytes from memory.

The bodies (path -> [text, content type]) come from the JSON file named by $WEB_BENCH_BODIES, so
that the reference answers exactly what the portal answered.
"""

from __future__ import annotations

import json
import os

from litestar import Litestar, Response, get


def _handler(path: str, body: bytes, ctype: str):
    # Litestar appends its own "; charset=utf-8" to a text media type: give it the bare type, or the
    # reference would answer a longer Content-Type than the portal did.
    media_type = ctype.split(";")[0].strip()

    @get(path, name=f"ref{abs(hash(path))}", sync_to_thread=False)
    def serve() -> Response[bytes]:
        return Response(body, media_type=media_type)

    return serve


@get("/healthz", sync_to_thread=False)
def healthz() -> dict:
    return {"ok": True}


def create() -> Litestar:
    """uvicorn's factory: the app serving the bodies of $WEB_BENCH_BODIES."""
    with open(os.environ["WEB_BENCH_BODIES"]) as f:
        bodies = json.load(f)
    handlers = [_handler(path, text.encode(), ctype) for path, (text, ctype) in bodies.items()]
    return Litestar(route_handlers=[healthz, *handlers], openapi_config=None, logging_config=None)
