"""chains.evm.provider: cancelled requests leave nothing held, so later requests still get answers.

web3's own `AsyncHTTPProvider` (8.0) fails this: its process-wide session lock, taken in an
executor thread, stays acquired when the request waiting for it is cancelled, and every later
request of the process waits forever (ethereum/web3.py#3867). A quorum read cancels its other
calls whenever one fails, so a worker using it stopped reading every EVM chain.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from web3 import AsyncWeb3

from chains.devnet.http import read_body, serve_in_thread
from chains.evm.provider import RpcProvider


async def _node(scope, receive, send) -> None:
    """A JSON-RPC node that answers every request with block number 16."""
    if scope["type"] != "http":
        return
    request = json.loads(await read_body(receive, 10_000) or b"{}")
    body = json.dumps({"jsonrpc": "2.0", "id": request.get("id"), "result": "0x10"}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def node():
    url, stop = serve_in_thread(_node)
    yield url
    stop()


def _w3(url: str) -> AsyncWeb3:
    return AsyncWeb3(RpcProvider(url, request_kwargs={"timeout": aiohttp.ClientTimeout(total=5)}), middleware=[])


async def test_requests_cancelled_at_any_moment_leave_the_next_ones_answered(node):
    for round_ in range(12):  # cancelled at once, then a little later each round: inside every step
        clients = [_w3(node) for _ in range(4)]
        tasks = [asyncio.ensure_future(clients[i % 4].eth.block_number) for i in range(100)]
        await asyncio.sleep(0.0005 * round_)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # web3's own provider hangs here from the first round on; 10 s is far beyond one answer.
        assert await asyncio.wait_for(clients[0].eth.block_number, 10) == 16, round_
        await asyncio.wait_for(_w3(node).eth.block_number, 10)  # and so does a new client
        for client in clients:
            await client.provider.disconnect()


def test_one_provider_serves_successive_event_loops_and_disconnects(node):
    w3 = _w3(node)

    async def read_and_close() -> tuple[int, bool]:
        number = await w3.eth.block_number
        session = w3.provider._session
        await w3.provider.disconnect()
        return number, session is not None and session.closed

    assert asyncio.run(read_and_close()) == (16, True)
    assert asyncio.run(read_and_close()) == (16, True)  # a new session, in the new loop
