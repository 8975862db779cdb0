"""One pure-ASGI layer around the web app: a request id per request, and the HTTP metrics.

It wraps Litestar's own ASGI handler (outside routing, so a 404 is counted too) and does per
request only: one scan of the headers, a context variable, a clock read, and two metric updates
through children cached by label (no logging, no allocation beyond the id and one header).

The request id: a sane incoming `X-Request-ID` (1 to 128 of A-Z a-z 0-9 . _ : -) is kept, anything
else is replaced by 32 random hex digits; the response carries it back, and every log record
emitted while handling the request has it (portal.observe.logs).
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.observe.logs import REQUEST_ID
from portal.observe.metrics import HTTP_DURATION, HTTP_REQUESTS, UNMATCHED

HEADER = b"x-request-id"
SANE_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_id(headers: Any) -> bytes:
    """The client's X-Request-ID when sane, else a new random one."""
    for name, value in headers:
        if name == HEADER:
            if SANE_ID.fullmatch(value):
                return bytes(value)
            break
    return os.urandom(16).hex().encode()


class ObservedApp:
    """`app` with request ids and HTTP metrics; any other scope type passes straight through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}

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
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope.get("method", "other")
        if method not in METHODS:
            method = "other"
        # Litestar puts the matched route's template in the scope; an unknown path has none.
        route = scope.get("path_template") if "route_handler" in scope else None
        route = route or UNMATCHED
        key = (method, route, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = HTTP_REQUESTS.labels(method, route, str(status))
        counter.inc()
        timer = self._timers.get(key[:2])
        if timer is None:
            timer = self._timers[(method, route)] = HTTP_DURATION.labels(method, route)
        timer.observe(seconds)
