"""Serve any ASGI app with uvicorn in a daemon thread on a free port (devnet servers, test peers)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

from chains.errors import ChainUnavailable


class StopServer:
    """Stops one server of `serve_in_thread`: `stop()` asks it to exit and waits for its thread;
    `stop(wait=False)` only asks, so that several servers wind down together (uvicorn spends about
    0.2 s on each shutdown). Idempotent."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, sock: socket.socket) -> None:
        self._server, self._thread, self._sock = server, thread, sock

    def __call__(self, wait: bool = True) -> None:
        self._server.should_exit = True
        if wait:
            self._thread.join(timeout=10)
            self._sock.close()


def serve_in_thread(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, startup_timeout: float = 10.0
) -> tuple[str, StopServer]:
    """Run `app` on `host:port` (0 = a free port) and return once it accepts connections.

    Returns `(base_url, stop)`: `base_url` is `http://host:port` without a trailing slash; `stop`
    is a `StopServer`. The socket is bound here, before the thread starts, so the port is known and
    reserved without a race.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    # A bounded graceful shutdown: slow handlers (test peers that sleep) must not block stop().
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"asgi:{bound_port}")
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise ChainUnavailable(f"server on port {bound_port} did not start")
        time.sleep(0.01)
    url_host = f"[{host}]" if ":" in host else host
    return f"http://{url_host}:{bound_port}", StopServer(server, thread, sock)


async def read_body(receive: Callable[[], Awaitable[dict]], max_bytes: int) -> bytes | None:
    """The ASGI request body, or None as soon as it exceeds `max_bytes` (nothing more is buffered)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
