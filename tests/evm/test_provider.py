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
from chains.errors import ChainDataError, ChainUnavailable
from chains.evm.anchor import AnchorClient
from chains.evm.config import parse_config
from chains.evm.logs import EvmLogReader, LogsRangeTooLarge
from chains.evm.provider import RpcProvider
from chains.evm.rpc import call_with_retries
from chains.price.config import parse_feed
from chains.price.feed import AggregatorFeedAdapter


async def _node(scope, receive, send) -> None:
    """A JSON-RPC node that answers every request with block number 16."""
    if scope["type"] != "http":
        return
    request = json.loads(await read_body(receive, 10_000) or b"{}")
    body = json.dumps({"jsonrpc": "2.0", "id": request.get("id"), "result": "0x10"}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


async def _flood(scope, receive, send) -> None:
    """A node whose every answer is 5000 bytes: with a length declared (/declared) or streamed."""
    if scope["type"] != "http":
        return
    await read_body(receive, 10_000)
    body = json.dumps({"jsonrpc": "2.0", "id": 0, "result": "0x" + "ab" * 2490}).encode()
    headers = [(b"content-type", b"application/json")]
    if scope["path"].endswith("/declared"):
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for i in range(0, len(body), 500):  # in pieces that arrive apart: a reader must wait for them all
        await send({"type": "http.response.body", "body": body[i : i + 500], "more_body": True})
        await asyncio.sleep(0.005)
    await send({"type": "http.response.body", "body": b""})


async def _refusing(scope, receive, send) -> None:
    """A node that answers 503 (/busy) or drops the connection without an answer (/drop)."""
    if scope["type"] != "http":
        return
    await read_body(receive, 10_000)
    if scope["path"].endswith("/busy"):
        await send({"type": "http.response.start", "status": 503, "headers": [(b"content-length", b"4")]})
        await send({"type": "http.response.body", "body": b"busy"})
    # /drop: no answer at all; the server closes the connection when the handler returns


@pytest.fixture(scope="module")
def nodes():
    """The three nodes above, served: name -> URL."""
    running = {
        name: serve_in_thread(app) for name, app in (("node", _node), ("flood", _flood), ("refusing", _refusing))
    }
    yield {name: url for name, (url, _) in running.items()}
    for _, stop in running.values():
        stop()


def _w3(url: str) -> AsyncWeb3:
    return AsyncWeb3(RpcProvider(url, request_kwargs={"timeout": aiohttp.ClientTimeout(total=5)}), middleware=[])


async def test_requests_cancelled_at_any_moment_leave_the_next_ones_answered(nodes):
    node = nodes["node"]
    for round_ in range(12):  # cancelled at once, then a little later each round: inside every step
        clients = [_w3(node) for _ in range(4)]
        tasks = [asyncio.ensure_future(clients[i % 4].eth.block_number) for i in range(100)]
        await asyncio.sleep(0.0005 * round_)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # web3's own provider hangs here from the first round on; 10 s is far beyond one answer.
        assert await asyncio.wait_for(clients[0].eth.block_number, 10) == 16, round_
        fresh = _w3(node)
        await asyncio.wait_for(fresh.eth.block_number, 10)  # and so does a new client
        for client in [*clients, fresh]:
            await client.provider.disconnect()


def test_one_provider_serves_successive_event_loops_and_disconnects(nodes):
    node = nodes["node"]
    w3 = _w3(node)

    async def read_and_close() -> tuple[int, bool]:
        number = await w3.eth.block_number
        session = w3.provider._session
        await w3.provider.disconnect()
        return number, session is not None and session.closed

    assert asyncio.run(read_and_close()) == (16, True)
    assert asyncio.run(read_and_close()) == (16, True)  # a new session, in the new loop


@pytest.mark.parametrize("path", ["/declared", "/streamed"])
async def test_an_answer_past_the_cap_is_a_data_error_and_is_not_read_on(nodes, path):
    flood = nodes["flood"]
    provider = RpcProvider(
        flood + path, request_kwargs={"timeout": aiohttp.ClientTimeout(total=5)}, max_body_bytes=1000
    )
    w3 = AsyncWeb3(provider, middleware=[])
    try:
        with pytest.raises(ChainDataError, match=r"^eth: eth_blockNumber: answer larger than 1000 bytes"):
            await call_with_retries("eth", "eth_blockNumber", lambda: w3.eth.block_number, retries=2)
        provider.max_body_bytes = 10_000  # the same answer within the cap reads as any other
        assert await w3.eth.block_number == int("ab" * 2490, 16)
    finally:
        await provider.disconnect()


async def test_a_logs_answer_past_the_cap_asks_for_a_smaller_range(nodes):
    flood = nodes["flood"]
    config = parse_config("eth", {"chain_id": "eip155:1", "rpc_url": flood + "/streamed", "contract": "0x" + "11" * 20})
    reader = EvmLogReader(config)
    reader._provider.max_body_bytes = 1000
    try:
        with pytest.raises(LogsRangeTooLarge, match=r"eth_getLogs \[5, 9\]: answer larger than 1000 bytes"):
            await reader.logs(5, 9)
    finally:
        await reader.aclose()


@pytest.mark.parametrize("path", ["/busy", "/drop"])
async def test_the_anchor_and_the_feed_say_unavailable_for_every_http_failure(nodes, path):
    """aiohttp's HTTP status and disconnect errors are not OSErrors: each caller maps them too,
    else one escaped the anchor job and left its transaction `sent` for good."""
    refusing = nodes["refusing"]
    anchor = AnchorClient(refusing + path, "0x" + "11" * 20, "0x" + "22" * 32, chain_id=1, timeout=5)
    feed = AggregatorFeedAdapter(
        parse_feed("feed", {"pair": "BTC/USD", "rpc_url": refusing + path, "contract": "0x" + "33" * 20})
    )
    try:
        with pytest.raises(ChainUnavailable, match="block number not read"):
            await anchor.block_number()
        with pytest.raises(ChainUnavailable, match=r"^feed \(feed 0x3{40}\): "):
            await feed.read_price()
    finally:
        await anchor.aclose()
        await feed.aclose()
