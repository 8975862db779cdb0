"""One pure-ASGI layer around the web app: a request id per request, and the HTTP metrics.

It wraps Litestar's own ASGI handler (outside routing, so a 404 is counted too) and does per
request only: one scan of the headers, a context variable, two clock reads, and one tuple appended
to the batch portal.observe.metrics.HttpRecorder writes to the metrics (no logging, no lock).

The request id: a sane incoming `X-Request-ID` (1 to 128 of A-Z a-z 0-9 . _ : -) is kept, anything
else is replaced by 32 new hex digits; the response carries it back, and every log record
emitted while handling the request has it (portal.observe.logs).
"""

from __future__ import annotations

import itertools
import os
import re
import time
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.observe.logs import REQUEST_ID
from portal.observe.metrics import RECORDER, UNMATCHED, HttpRecorder

HEADER = b"x-request-id"
SANE_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# New ids: a random prefix per process and a counter (unique across processes and restarts, and
# cheaper than 16 random bytes per request; an id correlates log lines, it is no secret).
_PREFIX = os.urandom(8).hex()
_NEXT = itertools.count(1)


def request_id(headers: Any) -> bytes:
    """The client's X-Request-ID when sane, else a new one (32 hex digits)."""
    for name, value in headers:
        if name == HEADER:
            if SANE_ID.fullmatch(value):
                return bytes(value)
            break
    return f"{_PREFIX}{next(_NEXT):016x}".encode()


class ObservedApp:
    """`app` with request ids and HTTP metrics; any other scope type passes straight through."""

    def __init__(self, app: ASGIApp, recorder: HttpRecorder = RECORDER) -> None:
        self.app, self.recorder = app, recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope["headers"])
        token = REQUEST_ID.set(rid.decode("ascii"))
        started = time.perf_counter()
        status = 500  # an exception that escapes before the response started

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (HEADER, rid)]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            REQUEST_ID.reset(token)
            method = scope.get("method", "other")
            # Litestar puts the matched route's template in the scope; an unknown path has none. A
            # layer that answers before routing sets `path_template` itself to be counted by route.
            route = scope.get("path_template")
            self.recorder.record(
                method if method in METHODS else "other", route or UNMATCHED, status, time.perf_counter() - started
            )
