"""A TEST DOUBLE: a JSON-RPC proxy in front of a real node (anvil or the devnet EVM) that can lie.

No real node can be made to lie about a block hash, answer garbage or hang on demand, so this
proxy forwards every request to the real node and lets a test rewrite the answer: `rewrite(method,
params, result)` returns the result to send (changed or not) or a Raw/Error/Hang. Without a
rewrite it is a faithful second endpoint of the same node. It serves any path, so a test can give
it a URL holding a fake key and check that the key is never echoed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from chains.devnet.http import read_body, serve_in_thread

_MAX_REQUEST = 1 << 20


@dataclass
class Raw:
    """Answer with this HTTP status and body instead of a JSON-RPC response."""

    status: int
    body: bytes = b""


@dataclass
class Error:
    """Answer with a JSON-RPC error object."""

    code: int
    message: str


@dataclass
class Hang:
    """Wait this many seconds, then answer what the node said."""

    seconds: float


Rewrite = Callable[[str, list[Any], Any], Any]


class LyingProxy:
    """ASGI app forwarding JSON-RPC POSTs to `upstream`; `rewrite` (None: honest) changes answers."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.rewrite: Rewrite | None = None
        self.methods: list[str] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive, _MAX_REQUEST) or b"{}"
        request = json.loads(body)
        # verify=False: plain HTTP to anvil, and no CA bundle loaded per request (20 ms of CPU each,
        # which made honest proxies miss a 1 s timeout on a loaded machine).
        async with httpx.AsyncClient(timeout=30, verify=False) as client:
            reply = (
                await client.post(self.upstream, content=body, headers={"Content-Type": "application/json"})
            ).json()
        self.methods.append(request.get("method", "?"))
        status, out = 200, reply
        if self.rewrite is not None and "result" in reply:
            outcome = self.rewrite(request["method"], request.get("params", []), reply["result"])
            if isinstance(outcome, Hang):
                await asyncio.sleep(outcome.seconds)
            elif isinstance(outcome, Raw):
                await _send(send, outcome.status, outcome.body)
                return
            elif isinstance(outcome, Error):
                out = {
                    "jsonrpc": "2.0",
                    "id": request.get("id"),
                    "error": {"code": outcome.code, "message": outcome.message},
                }
            else:
                out = {**reply, "result": outcome}
        await _send(send, status, json.dumps(out).encode())


async def _send(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def serve_proxy(upstream: str) -> Iterator[tuple[LyingProxy, str]]:
    """Generator for fixtures: yields (proxy, url with a fake key in its path), stops it afterwards."""
    proxy = LyingProxy(upstream)
    url, stop = serve_in_thread(proxy)
    try:
        yield proxy, f"{url}/v3/SECRETKEY"
    finally:
        stop(wait=False)  # it winds down while the next test runs


def word(value: int) -> str:
    """One ABI word as a JSON-RPC eth_call result."""
    return "0x" + value.to_bytes(32, "big").hex()
