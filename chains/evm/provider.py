"""web3's async HTTP provider on an HTTP session of its own, without web3's process-wide session lock.

web3 (8.0) takes one `threading.Lock` for every `AsyncHTTPProvider` of the process before each
request, acquired in an executor thread. A request cancelled while it waits there (a quorum read
cancels its other calls when one fails; a timeout cancels too) leaves the lock acquired for good:
every later JSON-RPC request of the process then waits forever (ethereum/web3.py#3867). Here each
provider owns its `aiohttp` session, made in the event loop that uses it, and nothing is shared.
Otherwise it behaves as web3's: a connection per request (a kept-alive one the node has closed
would fail the next POST, which aiohttp never retries), and web3's retries when they are asked for.

An answer is read up to `max_body_bytes` (web3 reads any length): past it, `ResponseTooLarge`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from web3 import AsyncHTTPProvider
from web3.exceptions import BadResponseFormat
from web3.providers.rpc.utils import check_if_retry_on_failure
from web3.types import RPCEndpoint, RPCResponse

# Far above any answer this project asks for (an eth_getLogs range the monitor asks is far smaller),
# far below what would hurt a worker: a hostile or broken node cannot make it buffer gigabytes.
MAX_BODY_BYTES = 32 * 1024 * 1024


class ResponseTooLarge(BadResponseFormat):
    """The node's answer ran past the provider's `max_body_bytes`; the rest was never read."""


class RpcProvider(AsyncHTTPProvider):
    """An `AsyncHTTPProvider` that posts through its own session (one per event loop).

    Same constructor; `request_kwargs` (the timeout) applies to every request, and
    `exception_retry_configuration` as in web3 (None: no retries, the caller's own policy applies).
    `disconnect()` closes the session; the provider makes a new one if it is used again.
    """

    def __init__(
        self,
        endpoint_uri: str,
        request_kwargs: dict[str, Any] | None = None,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        **kwargs: Any,
    ) -> None:
        super().__init__(endpoint_uri, request_kwargs=request_kwargs, **kwargs)
        self.max_body_bytes = max_body_bytes
        self._url = endpoint_uri
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop `_session` was made in

    def _own_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            # A session belongs to the loop it was made in; one left in a finished loop is dropped.
            connector = aiohttp.TCPConnector(force_close=True)
            self._session, self._loop = aiohttp.ClientSession(raise_for_status=True, connector=connector), loop
        return self._session

    async def _make_request(self, method: RPCEndpoint, request_data: bytes) -> bytes:
        retry = self.exception_retry_configuration
        if retry is None or retry.retries < 1 or not check_if_retry_on_failure(method, retry.method_allowlist):
            return await self._post(request_data)
        for attempt in range(retry.retries):  # web3's own loop, on this provider's session
            try:
                return await self._post(request_data)
            except tuple(retry.errors):
                if attempt == retry.retries - 1:
                    raise
                await asyncio.sleep(retry.backoff_factor * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _post(self, request_data: bytes) -> bytes:
        async with self._own_session().post(self._url, data=request_data, **self.get_request_kwargs()) as reply:
            declared = reply.content_length
            if declared is not None and declared > self.max_body_bytes:
                raise ResponseTooLarge(f"answer larger than {self.max_body_bytes} bytes (declared {declared})")
            body = bytearray()
            async for chunk in reply.content.iter_any():
                body += chunk
                if len(body) > self.max_body_bytes:
                    raise ResponseTooLarge(f"answer larger than {self.max_body_bytes} bytes")
            return bytes(body)

    async def make_batch_request(
        self, batch_requests: list[tuple[RPCEndpoint, Any]]
    ) -> list[RPCResponse] | RPCResponse:
        raise NotImplementedError("batch requests are not used: each call is made, counted and checked alone")

    async def disconnect(self) -> None:
        session, loop = self._session, self._loop
        self._session = self._loop = None
        # A session of a loop that has finished cannot be closed from another one: it is only dropped.
        if session is not None and not session.closed and loop is asyncio.get_running_loop():
            await session.close()
