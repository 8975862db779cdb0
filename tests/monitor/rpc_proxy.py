"""TEST DOUBLE: a JSON-RPC proxy in front of a real node that can reorder, falsify, fail or delay answers.

No real node misbehaves on demand, so this proxy forwards every request to a real anvil or devnet
node and lets a test rewrite the reply (`rewrite(method, params, reply) -> reply`), answer in the
node's place (`intercept(method, params) -> reply or None`), fail with an HTTP status, or sleep.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from chains.devnet.http import serve_in_thread


class RpcProxyDouble:
    """ASGI app forwarding POSTed JSON-RPC to `upstream`; `calls` records (method, params) seen."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.rewrite: Callable[[str, Any, dict], dict] | None = None
        self.intercept: Callable[[str, Any], dict | None] | None = None
        self.http_status: int | None = None
        self.delay = 0.0
        self.calls: list[tuple[str, Any]] = []

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = json.loads(body)
        method, params = request.get("method"), request.get("params")
        self.calls.append((method, params))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.http_status is not None:
            await _respond(send, self.http_status, b"unavailable")
            return
        reply = self.intercept(method, params) if self.intercept else None
        if reply is None:
            # verify=False: plain HTTP upstream; no CA bundle loaded per request (20 ms of CPU each).
            async with httpx.AsyncClient(timeout=10, verify=False) as client:
                reply = (
                    await client.post(self.upstream, content=body, headers={"content-type": "application/json"})
                ).json()
            if self.rewrite is not None:
                reply = self.rewrite(method, params, reply)
        reply.setdefault("id", request.get("id"))
        reply.setdefault("jsonrpc", "2.0")
        await _respond(send, 200, json.dumps(reply).encode())

    def methods(self) -> list[str]:
        return [m for m, _ in self.calls]


async def _respond(send: Callable, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def serve_proxy(upstream: str) -> Iterator[tuple[RpcProxyDouble, str]]:
    proxy = RpcProxyDouble(upstream)
    url, stop = serve_in_thread(proxy)
    try:
        yield proxy, url
    finally:
        stop(wait=False)  # it winds down while the next test runs
