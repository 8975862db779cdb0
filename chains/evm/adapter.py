"""The `evm-erc20` supply adapter: `totalSupply()` and `decimals()` of one token at a confirmed block."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import aiohttp
from web3 import AsyncHTTPProvider, AsyncWeb3

from chains.base import BlockRef, SupplyReading
from chains.errors import ChainDataError
from chains.evm.config import KIND, MAX_DECIMALS, EvmErc20Config, parse_config
from chains.evm.rpc import call_with_retries
from chains.registry import AdapterSpec

# First four bytes of keccak256 of the signatures; fixed by ERC-20.
TOTAL_SUPPLY_SELECTOR = "0x18160ddd"  # totalSupply()
DECIMALS_SELECTOR = "0x313ce567"  # decimals()
_WORD = 32
# A reorg under a confirmed block is rare; two in a row means the node is unusable right now.
_READ_ATTEMPTS = 2
# 9999-12-31T23:59:59Z: anything later is garbage and would overflow datetime.
_MAX_TIMESTAMP = 253_402_300_799


@dataclass(frozen=True)
class _Block:
    number: int
    hash: bytes
    timestamp: int


class EvmErc20Adapter:
    """Reads the supply of one ERC-20 deployment over JSON-RPC.

    Finality: the calls run at the node's `finalized` block or at `latest - confirmations`, pinned
    by block NUMBER, and the block's hash is re-read afterwards; if it changed (a reorg under us)
    the read is retried once, then fails with ChainDataError. The node's `eth_chainId` must match
    the configured CAIP-2 id, checked on every read (a load balancer may later route to a node of
    another chain). Amounts are raw token units, never rescaled. Every failure is a ChainError; a number is returned only when every check passed.
    The underlying aiohttp session belongs to the event loop of the first read.
    """

    kind = KIND

    def __init__(self, config: EvmErc20Config) -> None:
        self.config = config
        self.name = config.name
        self._w3 = AsyncWeb3(
            AsyncHTTPProvider(
                config.rpc_url,
                request_kwargs={"timeout": aiohttp.ClientTimeout(total=config.timeout_seconds)},
                # Retries are ours (call_with_retries): one policy, errors mapped in one place.
                exception_retry_configuration=None,
            ),
            # No default middleware: its validation layer would ask eth_chainId before every
            # eth_call, and ENS/attrdict add nothing for a fixed hex address.
            middleware=[],
        )

    async def read_supply(self) -> SupplyReading:
        """Total supply at a confirmed block; see the class docstring for the guarantees."""
        for _ in range(_READ_ATTEMPTS):
            block = await self._pick_block()
            # After picking: a node switched before the pick would serve the whole read from the
            # other chain; one switched after it shows another hash at the re-check below.
            await self._check_chain_id()
            supply = await self._call_uint(TOTAL_SUPPLY_SELECTOR, "totalSupply()", block.number)
            decimals = await self._call_uint(DECIMALS_SELECTOR, "decimals()", block.number)
            again = await self._get_block(block.number, f"eth_getBlockByNumber({block.number})")
            if again.hash == block.hash:
                break
        else:
            raise ChainDataError(
                f"{self.name}: block {block.number} changed hash during {_READ_ATTEMPTS} reads "
                "(chain reorganising under the confirmation depth)"
            )
        self._check_decimals(decimals)
        return SupplyReading(
            deployment=self.name,
            contract=self.config.contract,
            block=BlockRef(
                chain_id=self.config.chain_id,
                height=block.number,
                hash="0x" + block.hash.hex(),
                time=datetime.fromtimestamp(block.timestamp, tz=timezone.utc),
            ),
            total_supply=supply,
            decimals=decimals,
        )

    async def aclose(self) -> None:
        """Close the HTTP session; the adapter must not be used afterwards."""
        await self._w3.provider.disconnect()

    async def _check_chain_id(self) -> None:
        chain = await self._rpc("eth_chainId", lambda: self._w3.eth.chain_id)
        if not _is_uint(chain):
            raise ChainDataError(f"{self.name}: eth_chainId returned {chain!r}, not a number")
        if chain != self.config.chain_number:
            raise ChainDataError(
                f"{self.name}: node is on chain eip155:{chain}, configured for {self.config.chain_id}"
            )

    async def _pick_block(self) -> _Block:
        if self.config.finality == "finalized":
            return await self._get_block("finalized", "eth_getBlockByNumber('finalized')")
        head = await self._rpc("eth_blockNumber", lambda: self._w3.eth.block_number)
        if not _is_uint(head):
            raise ChainDataError(f"{self.name}: eth_blockNumber returned {head!r}, not a number")
        target = max(0, head - self.config.confirmations)
        return await self._get_block(target, f"eth_getBlockByNumber({target})")

    async def _get_block(self, ident: int | str, what: str) -> _Block:
        raw = await self._rpc(what, lambda: self._w3.eth.get_block(ident))
        block = _parse_block(raw)
        if block is None:
            raise ChainDataError(f"{self.name}: {what} returned a malformed block")
        if isinstance(ident, int) and block.number != ident:
            raise ChainDataError(f"{self.name}: asked for block {ident}, node returned {block.number}")
        return block

    async def _call_uint(self, selector: str, what: str, number: int) -> int:
        tx: Any = {"to": self.config.contract, "data": selector}
        data = await self._rpc(what, lambda: self._w3.eth.call(tx, block_identifier=number))
        # An ERC-20 getter returns exactly one ABI word; empty means no contract there, anything
        # else is not the function we asked for.
        if not isinstance(data, bytes) or len(data) != _WORD:
            size = len(data) if isinstance(data, bytes) else type(data).__name__
            raise ChainDataError(f"{self.name}: {what} at block {number} returned {size} bytes, not 32")
        return int.from_bytes(data, "big")

    def _check_decimals(self, decimals: int) -> None:
        if decimals > MAX_DECIMALS:
            raise ChainDataError(f"{self.name}: decimals() is {decimals}, above {MAX_DECIMALS}")
        expected = self.config.expected_decimals
        if expected is not None and decimals != expected:
            raise ChainDataError(
                f"{self.name}: decimals() is {decimals} on chain, configured {expected}; not rescaling"
            )

    async def _rpc(self, what: str, make: Any) -> Any:
        return await call_with_retries(self.name, what, make, self.config.retries)


def _is_uint(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _parse_block(raw: Any) -> _Block | None:
    """Number, hash and timestamp of a web3 block, or None when any of them is not sane."""
    try:
        number, hash_, timestamp = raw["number"], raw["hash"], raw["timestamp"]
    except (KeyError, TypeError):
        return None
    if not (_is_uint(number) and _is_uint(timestamp)) or timestamp > _MAX_TIMESTAMP:
        return None
    if not isinstance(hash_, bytes) or len(hash_) != 32:
        return None
    return _Block(number=number, hash=bytes(hash_), timestamp=timestamp)


SPEC = AdapterSpec(kind=KIND, role="supply", parse_config=parse_config, build=EvmErc20Adapter)
