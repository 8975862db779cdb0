"""A real webhook receiver for the tests: an HTTP server in a thread that verifies every request with
the independent Standard Webhooks implementation (the `standardwebhooks` package from PyPI).

Each path has a behaviour (`ok`, `fail`, `slow`, `gone`, `throttle`, `redirect`, `flaky`...) and,
once the test knows it, the subscription's secret; every request is recorded with its headers,
body and whether the independent library accepted it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool | None
    status: int
    at: float = field(default_factory=time.monotonic)
    done: float | None = None  # when the answer was sent (after any delay)


@dataclass
class Route:
    behaviour: str = "ok"
    secret: str | None = None
    delay: float = 0.0
    fail_first: int = 0  # `flaky`: answer 500 this many times, then 200
    retry_after: str = "1"
    location: str = "http://127.0.0.1:1/"
    seen: int = 0


class Receiver:
    def __init__(self, port: int = 0) -> None:
        self.routes: dict[str, Route] = {}
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                receiver._handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        # A short poll: shutdown() waits for the next one (0.5 s by default, at every test's end).
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str, behaviour: str = "ok", **options: Any) -> str:
        self.routes[path] = Route(behaviour, **options)
        return self.base + path

    def verify_with(self, path: str, secret: str) -> None:
        self.routes[path].secret = secret

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def wait_for(self, path: str, n: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.at(path)
            if len(got) >= n:
                return got
            time.sleep(0.05)
        raise AssertionError(f"{path}: {len(self.at(path))} requests, wanted {n}")

    async def until(self, path: str, n: int, timeout: float = 20.0) -> list[Received]:
        """`wait_for` for async tests: the event loop (and the dispatcher on it) keeps running."""
        import asyncio

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.at(path)
            if len(got) >= n:
                return got
            await asyncio.sleep(0.02)
        raise AssertionError(f"{path}: {len(self.at(path))} requests, wanted {n}")

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        path = handler.path
        route = self.routes.get(path, Route("missing"))
        with self.lock:
            route.seen += 1
            seen = route.seen
        headers = {k.lower(): v for k, v in handler.headers.items()}
        verified = None
        if route.secret is not None:
            try:
                Webhook(route.secret).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
        status, extra = self._answer(route, seen)
        if verified is False:
            status, extra = 401, {}  # a receiver refuses what it cannot verify: signing bugs fail tests
        record = Received(path, headers, body, verified, status)
        with self.lock:
            self.received.append(record)
        if route.delay:
            time.sleep(route.delay)
        record.done = time.monotonic()
        try:
            handler.send_response(status)
            for k, v in extra.items():
                handler.send_header(k, v)
            handler.send_header("content-length", "2")
            handler.end_headers()
            handler.wfile.write(b"ok")
        except OSError:
            pass  # the portal gave up waiting (a timeout test)

    @staticmethod
    def _answer(route: Route, seen: int) -> tuple[int, dict[str, str]]:
        b = route.behaviour
        if b in ("ok", "slow"):
            return 200, {}
        if b == "fail":
            return 500, {}
        if b == "gone":
            return 410, {}
        if b == "throttle":
            return 429, {"retry-after": route.retry_after}
        if b == "redirect":
            return 307, {"location": route.location}
        if b == "flaky":
            return (500, {}) if seen <= route.fail_first else (200, {})
        return 404, {}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
