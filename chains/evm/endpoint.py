"""One JSON-RPC endpoint of an EVM deployment: picks its confirmed block and reads the token at a block."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import aiohttp
from eth_utils import to_checksum_address
from web3 import AsyncWeb3
from web3.types import BlockParams

from chains.errors import ChainDataError
from chains.evm.config import MAX_DECIMALS, EvmErc20Config
from chains.evm.provider import RpcProvider
from chains.evm.rpc import call_with_retries

# First four bytes of keccak256 of the signatures; fixed by ERC-20.
TOTAL_SUPPLY_SELECTOR = "0x18160ddd"  # totalSupply()
DECIMALS_SELECTOR = "0x313ce567"  # decimals()
BALANCE_OF_SELECTOR = "0x70a08231"  # balanceOf(address)
_WORD = 32
# A reorg under a confirmed block is rare; two in a row means the node is unusable right now.
READ_ATTEMPTS = 2
# 9999-12-31T23:59:59Z: anything later is garbage and would overflow datetime.
_MAX_TIMESTAMP = 253_402_300_799

T = TypeVar("T")


@dataclass(frozen=True)
class Block:
    """A block as an endpoint described it: number, 32-byte hash, Unix timestamp."""

    number: int
    hash: bytes
    timestamp: int


@dataclass(frozen=True)
class BalanceState:
    """What one endpoint says declared holders own at `block`: raw units in declared order;
    `decimals` read from the token (None for the native coin, whose decimals are declared)."""

    block: Block
    decimals: int | None
    balances: tuple[int, ...]


@dataclass(frozen=True)
class TokenState:
    """What one endpoint says the token looks like at `block`: raw units, holders in declared order."""

    block: Block
    total_supply: int
    decimals: int
    balances: tuple[int, ...]


class EvmEndpoint:
    """Reads one deployment through one RPC URL; every failure is a ChainError labelled `label`.

    `label` names the deployment (and, with several endpoints, "endpoint i/n"), never the URL.
    With `concurrent` the eth_calls of one read go out together, else one after another.
    `calls` counts JSON-RPC requests made (retries included).
    """

    def __init__(self, config: EvmErc20Config, url: str, label: str, *, concurrent: bool = True) -> None:
        self.config, self.label, self.concurrent = config, label, concurrent
        self.calls = 0
        self._w3 = AsyncWeb3(
            # Retries are ours (call_with_retries): one policy, errors mapped in one place.
            RpcProvider(
                url,
                request_kwargs={"timeout": aiohttp.ClientTimeout(total=config.timeout_seconds)},
                exception_retry_configuration=None,
            ),
            # No default middleware: its validation layer would ask eth_chainId before every
            # eth_call, and ENS/attrdict add nothing for a fixed hex address.
            middleware=[],
        )

    async def pick(self) -> Block:
        """This endpoint's confirmed block (`finalized`, or latest - confirmations clamped at 0).

        The chain id is checked after picking: a node switched before the pick would serve the
        whole read from the other chain; one switched after it shows another hash at the re-check.
        """
        if self.config.finality == "finalized":
            block = await self.get_block("finalized", "eth_getBlockByNumber('finalized')")
        else:
            head = await self._rpc("eth_blockNumber", lambda: self._w3.eth.block_number)
            if not _is_uint(head):
                raise ChainDataError(f"{self.label}: eth_blockNumber returned {head!r:.80}, not a number")
            target = max(0, head - self.config.confirmations)
            block = await self.get_block(target, f"eth_getBlockByNumber({target})")
        await self._check_chain_id(block.number)
        return block

    async def read_at(self, block: Block) -> TokenState:
        """totalSupply, decimals and every held balance at `block.number`, then the hash re-checked.

        If the hash changed (a reorg under us) the block is fetched again and the read retried
        once; a second change is a ChainDataError.
        """
        block, values = await self._pinned(block, self._token_calls)
        supply, decimals, *balances = values
        self._check_decimals(decimals, block.number)
        return TokenState(block=block, total_supply=supply, decimals=decimals, balances=tuple(balances))

    async def balances_at(self, block: Block, token: str | None, holders: Sequence[str]) -> BalanceState:
        """`decimals()` and `balanceOf` of every holder of `token` at `block.number` (None: the native
        coin's `eth_getBalance`, decimals None), pinned and re-checked like `read_at`."""

        def calls(number: int) -> list[Callable[[], Awaitable[int]]]:
            if token is None:
                return [partial(self._native_balance, h, number) for h in holders]
            return [
                partial(self._call_uint, DECIMALS_SELECTOR, "decimals()", number, token),
                *(partial(self._call_uint, balance_of_data(h), f"balanceOf({h})", number, token) for h in holders),
            ]

        block, values = await self._pinned(block, calls)
        if token is None:
            return BalanceState(block=block, decimals=None, balances=tuple(values))
        decimals, *balances = values
        self._check_decimals(decimals, block.number)
        return BalanceState(block=block, decimals=decimals, balances=tuple(balances))

    async def _pinned(
        self, block: Block, make_calls: Callable[[int], list[Callable[[], Awaitable[int]]]]
    ) -> tuple[Block, list[int]]:
        """The results of `make_calls(number)` made at `block.number`, with the block they were made at.

        The hash is re-read after the calls: a change (a reorg under us) fetches the block again
        and retries once; a second change is a ChainDataError.
        """
        number = block.number
        for attempt in range(READ_ATTEMPTS):
            if attempt:
                block = await self.get_block(number, f"eth_getBlockByNumber({number})")
            values = await run_all(make_calls(number), self.concurrent)
            again = await self.get_block(number, f"eth_getBlockByNumber({number})")
            if again.hash == block.hash:
                return block, values
        raise ChainDataError(
            f"{self.label}: block {number} changed hash during {READ_ATTEMPTS} reads "
            "(chain reorganising under the confirmation depth)"
        )

    def _check_decimals(self, decimals: int, number: int) -> None:
        if decimals > MAX_DECIMALS:
            raise ChainDataError(f"{self.label}: decimals() at block {number} is {decimals}, above {MAX_DECIMALS}")

    async def get_block(self, ident: int | BlockParams, what: str) -> Block:
        raw = await self._rpc(what, lambda: self._w3.eth.get_block(ident))
        block = parse_block(raw)
        if block is None:
            raise ChainDataError(f"{self.label}: {what} returned a malformed block")
        if isinstance(ident, int) and block.number != ident:
            raise ChainDataError(f"{self.label}: asked for block {ident}, node returned {block.number}")
        return block

    async def aclose(self) -> None:
        """Close the HTTP session; the endpoint must not be used afterwards."""
        await self._w3.provider.disconnect()

    async def _check_chain_id(self, number: int) -> None:
        chain = await self._rpc("eth_chainId", lambda: self._w3.eth.chain_id)
        if not _is_uint(chain):
            raise ChainDataError(f"{self.label}: eth_chainId returned {chain!r:.80}, not a number")
        if chain != self.config.chain_number:
            raise ChainDataError(
                f"{self.label}: node is on chain eip155:{chain}, configured for {self.config.chain_id} "
                f"(block {number} picked)"
            )

    async def _call_uint(self, data: str, what: str, number: int, to: str | None = None) -> int:
        tx: Any = {"to": to or self.config.contract, "data": data}
        result = await self._rpc(f"{what} at block {number}", lambda: self._w3.eth.call(tx, block_identifier=number))
        # An ERC-20 getter returns exactly one ABI word; empty means no contract there, anything
        # else is not the function we asked for.
        if not isinstance(result, bytes) or len(result) != _WORD:
            size = len(result) if isinstance(result, bytes) else type(result).__name__
            raise ChainDataError(f"{self.label}: {what} at block {number} returned {size} bytes, not 32")
        return int.from_bytes(result, "big")

    async def _native_balance(self, holder: str, number: int) -> int:
        what = f"eth_getBalance({holder}) at block {number}"
        address = to_checksum_address(holder)
        result = await self._rpc(what, lambda: self._w3.eth.get_balance(address, block_identifier=number))
        if not _is_uint(result):
            raise ChainDataError(f"{self.label}: {what} returned {result!r:.80}, not a number")
        return result

    def _token_calls(self, number: int) -> list[Callable[[], Awaitable[int]]]:
        def call(data: str, what: str) -> Callable[[], Awaitable[int]]:
            return lambda: self._call_uint(data, what, number)

        return [
            call(TOTAL_SUPPLY_SELECTOR, "totalSupply()"),
            call(DECIMALS_SELECTOR, "decimals()"),
            *(call(balance_of_data(h.address), f"balanceOf({h.address})") for h in self.config.held),
        ]

    async def _rpc(self, what: str, make: Any) -> Any:
        async def counted() -> Any:
            self.calls += 1
            return await make()

        return await call_with_retries(self.label, what, counted, self.config.retries)


async def run_all(makers: list[Callable[[], Awaitable[T]]], concurrent: bool) -> list[T]:
    """Results of every `maker()` in order: together, or one after another.

    On the first failure the others are cancelled and awaited before the error propagates, so
    nothing keeps talking to a node after the read has given up.
    """
    if not concurrent:
        return [await make() for make in makers]
    tasks = [asyncio.ensure_future(make()) for make in makers]
    try:
        return list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def balance_of_data(address: str) -> str:
    """Call data of `balanceOf(address)`: the selector, then the address left-padded to one word."""
    return BALANCE_OF_SELECTOR + "00" * 12 + address[2:].lower()


def _is_uint(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def parse_block(raw: Any) -> Block | None:
    """Number, hash and timestamp of a web3 block, or None when any of them is not sane."""
    try:
        number, hash_, timestamp = raw["number"], raw["hash"], raw["timestamp"]
    except (KeyError, TypeError):
        return None
    if not (_is_uint(number) and _is_uint(timestamp)) or timestamp > _MAX_TIMESTAMP:
        return None
    if not isinstance(hash_, bytes) or len(hash_) != 32:
        return None
    return Block(number=number, hash=bytes(hash_), timestamp=timestamp)
