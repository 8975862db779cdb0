"""Serve any ASGI app with uvicorn in a daemon thread on a free port (devnet servers, test peers)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

from chains.errors import ChainUnavailable


def serve_in_thread(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, startup_timeout: float = 10.0
) -> tuple[str, Callable[[], None]]:
    """Run `app` on `host:port` (0 = a free port) and return once it accepts connections.

    Returns `(base_url, stop)`: `base_url` is `http://host:port` without a trailing slash; `stop()`
    asks the server to exit and waits for the thread (idempotent). The socket is bound here, before
    the thread starts, so the port is known and reserved without a race.
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

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    url_host = f"[{host}]" if ":" in host else host
    return f"http://{url_host}:{bound_port}", stop


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
