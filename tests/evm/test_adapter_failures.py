"""The adapter against a misbehaving JSON-RPC server: it must raise a ChainError, never return a number.

The server here is a MOCK (FakeNode): no real node can be made to answer garbage, hang or reorg
mid-read on demand. Everything it does not override answers like a sane chain at height 100.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chains.errors import ChainDataError, ChainUnavailable
from chains.evm.adapter import EvmErc20Adapter
from chains.evm.config import parse_config
from tests.support import free_port

HEAD = 100
CONTRACT = "0x" + "42" * 20
Handler = Callable[[list[Any]], Any]


def word(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


class FakeNode:
    """A mock JSON-RPC node. `handlers[method](params)` returns a result, or a Raw/Error/Hang."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.hashes: dict[int, str] = {}
        self.handlers: dict[str, Handler] = {
            "eth_chainId": lambda p: "0x1",
            "eth_blockNumber": lambda p: hex(HEAD),
            "eth_getBlockByNumber": self._block,
            "eth_call": lambda p: word(8) if p[0]["data"] == "0x313ce567" else word(21_000_000),
        }

    def block_hash(self, number: int) -> str:
        return self.hashes.get(number, "0x" + number.to_bytes(32, "big").hex())

    def _block(self, params: list[Any]) -> Any:
        tag = params[0]
        number = HEAD - 10 if tag == "finalized" else HEAD if tag == "latest" else int(tag, 16)
        return {
            "number": hex(number),
            "hash": self.block_hash(number),
            "timestamp": hex(1_700_000_000 + number),
            "parentHash": "0x" + "00" * 32,
        }

    def answer(self, body: bytes) -> tuple[int, bytes]:
        request = json.loads(body)
        method = request["method"]
        self.calls.append(method)
        outcome = self.handlers[method](request.get("params", []))
        if isinstance(outcome, Raw):
            return outcome.status, outcome.body
        if isinstance(outcome, Hang):
            time.sleep(outcome.seconds)
            outcome = "0x0"
        if isinstance(outcome, Error):
            payload = {
                "jsonrpc": "2.0",
                "id": request["id"],
                "error": {"code": outcome.code, "message": outcome.message},
            }
        else:
            payload = {"jsonrpc": "2.0", "id": request["id"], "result": outcome}
        return 200, json.dumps(payload).encode()


class Raw:
    def __init__(self, status: int, body: bytes = b"") -> None:
        self.status, self.body = status, body


class Error:
    def __init__(self, code: int, message: str) -> None:
        self.code, self.message = code, message


class Hang:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


@pytest.fixture
def node() -> Iterator[tuple[FakeNode, str]]:
    fake = FakeNode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, reply = fake.answer(body)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}/v3/SECRETKEY"
    server.shutdown()
    server.server_close()


def make(url: str, **overrides: Any) -> EvmErc20Adapter:
    config = {
        "chain_id": "eip155:1",
        "rpc_url": url,
        "contract": CONTRACT,
        "confirmations": 12,
        "timeout_seconds": 2,
        "retries": 1,
        **overrides,
    }
    return EvmErc20Adapter(parse_config("mock", config))


async def read(adapter: EvmErc20Adapter) -> Any:
    try:
        return await adapter.read_supply()
    finally:
        await adapter.aclose()


async def test_sane_mock_reads_supply(node: tuple[FakeNode, str]) -> None:
    fake, url = node
    reading = await read(make(url))
    assert (reading.total_supply, reading.decimals, reading.block.height) == (21_000_000, 8, HEAD - 12)
    assert reading.block.hash == fake.block_hash(HEAD - 12)


@pytest.mark.parametrize(
    ("method", "outcome", "error", "match"),
    [
        ("eth_chainId", Raw(200, b"<html>not json</html>"), ChainDataError, "malformed"),
        ("eth_chainId", Raw(500, b"oops"), ChainUnavailable, "HTTP 500"),
        ("eth_chainId", Raw(401, b"no"), ChainUnavailable, "HTTP 401"),
        ("eth_chainId", Error(-32000, "rate limited"), ChainUnavailable, "rate limited"),
        ("eth_chainId", "0xzz", ChainDataError, "eth_chainId"),
        ("eth_blockNumber", "garbage", ChainDataError, "eth_blockNumber"),
        ("eth_blockNumber", None, ChainDataError, "eth_blockNumber"),
        ("eth_getBlockByNumber", None, ChainDataError, "eth_getBlockByNumber"),
        ("eth_getBlockByNumber", {"number": "0x58", "hash": "0x12"}, ChainDataError, "malformed block"),
        (
            "eth_getBlockByNumber",
            {"number": "0x1", "hash": "0x" + "ab" * 32, "timestamp": "0x1"},
            ChainDataError,
            "returned 1",
        ),
        (
            "eth_getBlockByNumber",
            {"number": "0x58", "hash": "0x" + "ab" * 32, "timestamp": "0x" + "ff" * 8},
            ChainDataError,
            "malformed block",
        ),
        ("eth_call", "0x", ChainDataError, "0 bytes"),
        ("eth_call", "0x1234", ChainDataError, "2 bytes"),
        ("eth_call", "0x" + "00" * 64, ChainDataError, "64 bytes"),
        # totalSupply() and decimals() are asked together: whichever answer is read first fails the read.
        ("eth_call", "not hex", ChainDataError, r"(totalSupply|decimals)\(\) at block 88: unusable response"),
        ("eth_call", Error(3, "execution reverted"), ChainDataError, "reverted"),
    ],
)
async def test_bad_answers_raise(
    node: tuple[FakeNode, str], method: str, outcome: Any, error: type, match: str
) -> None:
    fake, url = node
    fake.handlers[method] = lambda p: outcome
    with pytest.raises(error, match=match) as info:
        await read(make(url))
    assert "SECRETKEY" not in info.value.detail


async def test_server_errors_are_retried_then_unavailable(node: tuple[FakeNode, str]) -> None:
    fake, url = node
    fake.handlers["eth_chainId"] = lambda p: Raw(503)
    with pytest.raises(ChainUnavailable, match="after 3 attempt"):
        await read(make(url, retries=2))
    assert fake.calls == ["eth_blockNumber", "eth_getBlockByNumber"] + ["eth_chainId"] * 3


async def test_transient_failure_recovers(node: tuple[FakeNode, str]) -> None:
    fake, url = node
    answers = iter([Raw(502), "0x1"])
    fake.handlers["eth_chainId"] = lambda p: next(answers)
    reading = await read(make(url, retries=1))
    assert reading.total_supply == 21_000_000


async def test_timeout_is_unavailable(node: tuple[FakeNode, str]) -> None:
    fake, url = node
    fake.handlers["eth_blockNumber"] = lambda p: Hang(1.5)
    started = time.monotonic()
    with pytest.raises(ChainUnavailable, match="timed out"):
        await read(make(url, timeout_seconds=0.2, retries=1))
    assert time.monotonic() - started < 1.5


async def test_connection_refused_is_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ChainUnavailable, match="after 1 attempt"):
        await read(make(url, retries=0))


async def test_decimals_out_of_range(node: tuple[FakeNode, str]) -> None:
    fake, url = node
    fake.handlers["eth_call"] = lambda p: word(255) if p[0]["data"] == "0x313ce567" else word(1)
    with pytest.raises(ChainDataError, match="above 36"):
        await read(make(url))


async def test_finalized_rejected_by_node(node: tuple[FakeNode, str]) -> None:
    fake, url = node
    original = fake.handlers["eth_getBlockByNumber"]
    fake.handlers["eth_getBlockByNumber"] = lambda p: (
        Error(-32602, "invalid block tag finalized") if p[0] == "finalized" else original(p)
    )
    with pytest.raises(ChainUnavailable, match="finalized"):
        await read(make_finalized(url))


def make_finalized(url: str) -> EvmErc20Adapter:
    config = {
        "chain_id": "eip155:1",
        "rpc_url": url,
        "contract": CONTRACT,
        "finality": "finalized",
        "timeout_seconds": 2,
        "retries": 0,
    }
    return EvmErc20Adapter(parse_config("mock", config))


async def test_finalized_reading(node: tuple[FakeNode, str]) -> None:
    fake, url = node
    reading = await read(make_finalized(url))
    assert reading.block.height == HEAD - 10


async def test_reorg_during_read_is_retried_once(node: tuple[FakeNode, str]) -> None:
    fake, url = node
    target = HEAD - 12
    fetches = {"n": 0}
    original = fake.handlers["eth_getBlockByNumber"]

    def flip_once(params: list[Any]) -> Any:
        fetches["n"] += 1
        if fetches["n"] == 2:  # the re-check after the first pair of calls sees a new hash
            fake.hashes[target] = "0x" + "cd" * 32
        return original(params)

    fake.handlers["eth_getBlockByNumber"] = flip_once
    reading = await read(make(url))
    assert reading.block.hash == "0x" + "cd" * 32
    assert fetches["n"] == 4


async def test_chain_that_keeps_reorganising_is_data_error(node: tuple[FakeNode, str]) -> None:
    fake, url = node
    counter = {"n": 0}
    original = fake.handlers["eth_getBlockByNumber"]

    def always_new(params: list[Any]) -> Any:
        counter["n"] += 1
        block = original(params)
        block["hash"] = "0x" + counter["n"].to_bytes(32, "big").hex()
        return block

    fake.handlers["eth_getBlockByNumber"] = always_new
    with pytest.raises(ChainDataError, match="changed hash"):
        await read(make(url))


async def test_chain_id_checked_on_every_read_after_the_block_is_picked(node: tuple[FakeNode, str]) -> None:
    fake, url = node
    adapter = make(url)
    try:
        await adapter.read_supply()
        await adapter.read_supply()
    finally:
        await adapter.aclose()
    one_read = [
        "eth_blockNumber",
        "eth_getBlockByNumber",
        "eth_chainId",
        "eth_call",
        "eth_call",
        "eth_getBlockByNumber",
    ]
    assert fake.calls == one_read * 2


async def test_node_switching_chain_after_the_first_read(node: tuple[FakeNode, str]) -> None:
    # As a load balancer that starts routing to a Sepolia node: the second read must not pass.
    fake, url = node
    adapter = make(url)
    try:
        assert (await adapter.read_supply()).total_supply == 21_000_000
        fake.handlers["eth_chainId"] = lambda p: hex(11155111)
        with pytest.raises(ChainDataError, match="node is on chain eip155:11155111, configured for eip155:1"):
            await adapter.read_supply()
    finally:
        await adapter.aclose()
