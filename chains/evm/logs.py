"""Token log reader for the supply monitor: confirmed target, block headers, eth_getLogs, totalSupply at a block."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from web3.exceptions import BadResponseFormat, Web3RPCError

from chains.errors import ChainDataError, ChainUnavailable
from chains.evm.config import EvmErc20Config
from chains.evm.logs_decode import (
    BURN_TOPIC,
    MINT_TOPIC,
    TRANSFER_TOPIC,
    TokenLog,
    block_hash,
    decode_logs,
    quantity,
)
from chains.evm.provider import ResponseTooLarge, RpcProvider
from chains.evm.rpc import call_with_retries

TOTAL_SUPPLY_SELECTOR = "0x18160ddd"  # totalSupply()
LOG_TOPICS = [[TRANSFER_TOPIC, MINT_TOPIC, BURN_TOPIC]]
# How providers say "ask for fewer blocks": Infura/Alchemy -32005, geth/erigon/QuickNode messages.
_TOO_MANY_CODES = frozenset({-32005})
_TOO_MANY_WORDS = (
    "more than",
    "too many",
    "limit exceeded",
    "response size",
    "block range",
    "range too large",
    "query timeout",
    "exceeds",
)
_HEADER_CONCURRENCY = 8
_MAX_TIMESTAMP = 253_402_300_799


class LogsRangeTooLarge(ChainUnavailable):
    """The node refused an eth_getLogs range as too large; ask again with fewer blocks."""

    code = "logs_range_too_large"


@dataclass(frozen=True)
class BlockHeader:
    """What the monitor keeps of a block: number, 0x-hex hash and parent hash, unix timestamp."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int


@dataclass
class RpcStats:
    """Calls made per method and wall seconds with at least one call awaiting the node.

    Concurrent calls (headers are fetched a few at a time) count once: `seconds` is the union of
    their intervals, so it never exceeds the caller's wall time.
    """

    calls: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    _in_flight: int = 0
    _since: float = 0.0

    def enter(self) -> None:
        if self._in_flight == 0:
            self._since = time.perf_counter()
        self._in_flight += 1

    def leave(self, method: str) -> None:
        self.calls[method] += 1
        self._in_flight -= 1
        if self._in_flight == 0:
            self.seconds += time.perf_counter() - self._since


class EvmLogReader:
    """Reads one ERC-20 deployment's logs over JSON-RPC (the first of its RPC URLs).

    Raw JSON-RPC results
    are checked here, not by web3's formatters: every malformed answer is a ChainDataError naming
    the chain and block, transport failures ChainUnavailable, a refused range LogsRangeTooLarge.
    """

    def __init__(self, config: EvmErc20Config) -> None:
        self.config = config
        self.label = f"{config.name} ({config.chain_id})"
        self._provider = RpcProvider(
            config.rpc_urls[0],
            request_kwargs={"timeout": aiohttp.ClientTimeout(total=config.timeout_seconds)},
            exception_retry_configuration=None,  # retries are call_with_retries'
        )
        self.stats = RpcStats()

    async def aclose(self) -> None:
        """Close the HTTP session."""
        await self._provider.disconnect()

    async def check_chain_id(self) -> None:
        """Refuse a node of another chain (a load balancer may switch nodes between runs)."""
        chain = quantity(await self._request("eth_chainId", []))
        if chain is None or f"eip155:{chain}" != self.config.chain_id:
            raise ChainDataError(
                f"{self.label}: node is on chain eip155:{chain}, configured for {self.config.chain_id}"
            )

    async def confirmed_target(self) -> int:
        """The newest block counted as confirmed: `finalized`, or latest - confirmations (>= 0)."""
        if self.config.finality == "finalized":
            return (await self.header("finalized")).number
        head = quantity(await self._request("eth_blockNumber", []))
        if head is None:
            raise ChainDataError(f"{self.label}: eth_blockNumber returned no number")
        return max(0, head - self.config.confirmations)

    async def header(self, ident: int | str) -> BlockHeader:
        """The header of block `ident` (a number or a tag); ChainDataError if missing or malformed."""
        tag = hex(ident) if isinstance(ident, int) else ident
        raw = await self._request("eth_getBlockByNumber", [tag, False])
        where = f"{self.label}: block {ident}"
        if not isinstance(raw, dict):
            raise ChainDataError(f"{where}: node returned no block")
        number, timestamp = quantity(raw.get("number")), quantity(raw.get("timestamp"))
        hash_, parent = block_hash(raw.get("hash")), block_hash(raw.get("parentHash"))
        if number is None or timestamp is None or hash_ is None or parent is None or timestamp > _MAX_TIMESTAMP:
            raise ChainDataError(f"{where}: malformed block header")
        if isinstance(ident, int) and number != ident:
            raise ChainDataError(f"{where}: node returned block {number} instead")
        return BlockHeader(number, hash_, parent, timestamp)

    async def headers(self, numbers: list[int]) -> dict[int, BlockHeader]:
        """Headers of several blocks, a few requests at a time."""
        gate = asyncio.Semaphore(_HEADER_CONCURRENCY)

        async def one(n: int) -> BlockHeader:
            async with gate:
                return await self.header(n)

        found = await asyncio.gather(*(one(n) for n in numbers))
        return {h.number: h for h in found}

    async def logs(self, start: int, end: int) -> list[TokenLog]:
        """Transfer/Mint/Burn logs of the contract in blocks [start, end], checked (see decode_logs).

        Raises LogsRangeTooLarge when the node refuses the range as too large.
        """
        query = {"address": self.config.contract, "fromBlock": hex(start), "toBlock": hex(end), "topics": LOG_TOPICS}
        raw = await self._request("eth_getLogs", [query], span=(start, end))
        return decode_logs(raw, self.label, self.config.contract, start, end)

    async def total_supply(self, number: int) -> int | None:
        """`totalSupply()` at block `number` in raw units; None when no contract code answers there."""
        call = {"to": self.config.contract, "data": TOTAL_SUPPLY_SELECTOR}
        raw = await self._request("eth_call", [call, hex(number)])
        if raw in ("0x", ""):
            return None
        if not isinstance(raw, str) or len(raw) != 66 or quantity("0x" + (raw[2:].lstrip("0") or "0")) is None:
            raise ChainDataError(
                f"{self.label}: block {number}: totalSupply() returned {str(raw)[:80]!r}, not one word"
            )
        return int(raw, 16)

    async def _request(self, method: str, params: list[Any], span: tuple[int, int] | None = None) -> Any:
        async def make() -> Any:
            self.stats.enter()
            try:
                reply = await self._provider.make_request(method, params)
            except ResponseTooLarge as exc:
                if span is None:
                    raise
                # Too many logs in one answer: a smaller range, as when the node refuses the range.
                raise LogsRangeTooLarge(f"{self.label}: eth_getLogs [{span[0]}, {span[1]}]: {exc}") from None
            finally:
                self.stats.leave(method)
            return _result(reply, span, self.label)

        return await call_with_retries(self.label, method, make, self.config.retries)


def _result(reply: Any, span: tuple[int, int] | None, label: str) -> Any:
    """The `result` of a JSON-RPC reply; node errors raised as web3 would (mapped by call_with_retries)."""
    if not isinstance(reply, dict):
        raise BadResponseFormat("reply is not a JSON object")
    error = reply.get("error")
    if error is not None:
        code = error.get("code") if isinstance(error, dict) else None
        message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
        if span is not None and _too_many(code, message):
            raise LogsRangeTooLarge(
                f"{label}: eth_getLogs [{span[0]}, {span[1]}] refused as too large: {message[:120]}"
            )
        raise Web3RPCError(message[:200] or "node error", rpc_response=reply)  # type: ignore[arg-type]  # the node's raw reply, not web3's RPCResponse
    if "result" not in reply:
        raise BadResponseFormat("reply has neither result nor error")
    return reply["result"]


def _too_many(code: Any, message: str) -> bool:
    text = message.lower()
    return code in _TOO_MANY_CODES or any(word in text for word in _TOO_MANY_WORDS)
