"""The `solana-spl` supply adapter: `getTokenSupply` of one SPL mint at `finalized` commitment."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeGuard

from chains.base import BlockRef, SupplyReading
from chains.errors import ChainDataError
from chains.registry import Spec
from chains.solana.base58 import decode32
from chains.solana.config import COMMITMENT, KIND, SolanaSplConfig, parse_config
from chains.solana.rpc import SolanaNodeError, SolanaRpc

U64_MAX = 2**64 - 1  # SPL Mint.supply is a u64
_AMOUNT = re.compile(r"0|[1-9][0-9]{0,19}")  # a canonical decimal u64: no sign, no dot, no exponent
# Slots are u64 on chain; anything past 2**63 is garbage long before it is real.
_MAX_SLOT = 2**63 - 1
# 9999-12-31T23:59:59Z: anything later is garbage and would overflow datetime.
_MAX_TIMESTAMP = 253_402_300_799
# getBlock errors that mean "no block at this slot": skipped (-32007), skipped and gone from
# long-term storage (-32009), not available (-32004).
SKIPPED_CODES = frozenset({-32007, -32009, -32004})
# How far below a skipped slot to look for the block whose state was read (getBlocks range).
SKIP_WINDOW = 64
_BLOCK_CONFIG = {
    "commitment": COMMITMENT,
    "transactionDetails": "none",
    "rewards": False,
    "maxSupportedTransactionVersion": 0,
}


@dataclass(frozen=True)
class TokenSupply:
    """A validated `getTokenSupply` answer: the context slot and the raw amount."""

    slot: int
    amount: int
    decimals: int


@dataclass(frozen=True)
class SolanaBlock:
    """A validated `getBlock` answer (without transactions); `time` is Unix seconds or None."""

    blockhash: str
    parent_slot: int
    time: int | None


class SolanaSplAdapter:
    """Reads the supply of one SPL token mint over Solana JSON-RPC.

    Finality: `getTokenSupply` runs at `finalized` commitment; its `context.slot` is the rooted
    bank the amount was read from. The block reported is that slot's block, read with `getBlock`
    at `finalized`. A skipped slot has no block, and its state is the state after the newest block
    below it, so when `getBlock` says the slot was skipped the adapter asks `getBlocks` for the
    finalized blocks in the `SKIP_WINDOW` slots below and reports the newest one (its slot as
    height). Block time comes from `getBlock`, else `getBlockTime`; neither known is an error.
    The node's `getGenesisHash` must match `chain_id`, checked before and after every read (a
    load balancer may route each call elsewhere). Amounts are exact integers parsed from the
    decimal string `value.amount`, never `uiAmount`; decimals must equal `expected_decimals`.
    Every failure is a ChainError; a number is returned only when every check passed.
    `BlockRef.hash` is the lowercase hex (64 digits, no 0x) of the 32 bytes the base58 blockhash
    decodes to, as attestations write every block hash; `SolanaBlock.blockhash` keeps the base58
    form the node and explorers show, and errors quote slots.
    """

    kind = KIND

    def __init__(self, config: SolanaSplConfig) -> None:
        self.config = config
        self.name = config.name
        self._rpc = SolanaRpc(config.name, config.rpc_url, config.timeout_seconds, config.retries)

    def __repr__(self) -> str:
        return f"SolanaSplAdapter({self.config!r})"

    async def read_supply(self) -> SupplyReading:
        """Total supply at a finalized slot; see the class docstring for the guarantees."""
        await self._check_genesis()
        raw = await self._rpc.call("getTokenSupply", [self.config.mint, {"commitment": COMMITMENT}])
        supply = parse_token_supply(raw)
        if supply is None:
            raise ChainDataError(f"{self.name}: getTokenSupply returned a malformed answer")
        self._check_decimals(supply.decimals)
        slot, block = await self._block_at_or_below(supply.slot)
        time = block.time if block.time is not None else await self._block_time(slot)
        await self._check_genesis()
        return SupplyReading(
            deployment=self.name,
            contract=self.config.mint,
            block=BlockRef(
                chain_id=self.config.chain_id,
                height=slot,
                hash=blockhash_hex(block.blockhash),
                time=datetime.fromtimestamp(time, tz=timezone.utc),
            ),
            total_supply=supply.amount,
            decimals=supply.decimals,
        )

    async def aclose(self) -> None:
        """Close the HTTP client; the adapter must not be used afterwards."""
        await self._rpc.aclose()

    async def _check_genesis(self) -> None:
        genesis = await self._rpc.call("getGenesisHash", [])
        if decode32(genesis) is None:
            raise ChainDataError(f"{self.name}: getGenesisHash returned a malformed hash")
        if genesis[:32] != self.config.genesis_prefix:
            raise ChainDataError(
                f"{self.name}: node is on cluster solana:{genesis[:32]}, configured for {self.config.chain_id}"
            )

    def _check_decimals(self, decimals: int) -> None:
        if decimals != self.config.expected_decimals:
            raise ChainDataError(
                f"{self.name}: mint decimals are {decimals} on chain, configured "
                f"{self.config.expected_decimals}; not rescaling"
            )

    async def _block_at_or_below(self, slot: int) -> tuple[int, SolanaBlock]:
        try:
            return slot, await self._get_block(slot)
        except SolanaNodeError as exc:
            if exc.rpc_code not in SKIPPED_CODES:
                raise
        low = max(0, slot - SKIP_WINDOW)
        found = await self._rpc.call("getBlocks", [low, slot, {"commitment": COMMITMENT}])
        if not isinstance(found, list) or not all(_is_slot(s) and low <= s <= slot for s in found):
            raise ChainDataError(f"{self.name}: getBlocks({low}, {slot}) returned a malformed list")
        below = [s for s in found if s < slot]
        if not below:
            raise ChainDataError(
                f"{self.name}: slot {slot} was skipped and no finalized block is in the {SKIP_WINDOW} slots below"
            )
        newest = max(below)
        return newest, await self._get_block(newest)

    async def _get_block(self, slot: int) -> SolanaBlock:
        raw = await self._rpc.call("getBlock", [slot, dict(_BLOCK_CONFIG)])
        block = parse_block(raw)
        if block is None:
            raise ChainDataError(f"{self.name}: getBlock({slot}) returned a malformed block")
        if block.parent_slot >= slot and slot != 0:
            raise ChainDataError(f"{self.name}: getBlock({slot}) names parent slot {block.parent_slot}, not below it")
        return block

    async def _block_time(self, slot: int) -> int:
        time = await self._rpc.call("getBlockTime", [slot])
        if not _is_time(time):
            raise ChainDataError(f"{self.name}: no usable block time for slot {slot} ({type(time).__name__})")
        return time


def parse_token_supply(raw: Any) -> TokenSupply | None:
    """Slot, amount and decimals of a `getTokenSupply` result, or None when any of them is not sane.

    `value.amount` must be a canonical decimal string of a u64 (a JSON number, float or not, is
    refused: it may already have lost precision); `value.decimals` a u8 integer. `uiAmount` and
    `uiAmountString` are display values and ignored.
    """
    if not isinstance(raw, dict):
        return None
    context, value = raw.get("context"), raw.get("value")
    if not isinstance(context, dict) or not isinstance(value, dict):
        return None
    slot, amount, decimals = context.get("slot"), value.get("amount"), value.get("decimals")
    if not _is_slot(slot) or not _is_int(decimals) or not 0 <= decimals <= 255:
        return None
    if not isinstance(amount, str) or not _AMOUNT.fullmatch(amount) or int(amount) > U64_MAX:
        return None
    return TokenSupply(slot=slot, amount=int(amount), decimals=decimals)


def parse_block(raw: Any) -> SolanaBlock | None:
    """Blockhash, parent slot and time of a `getBlock` result, or None when any of them is not sane."""
    if not isinstance(raw, dict):
        return None
    blockhash, parent, time = raw.get("blockhash"), raw.get("parentSlot"), raw.get("blockTime")
    if not isinstance(blockhash, str) or decode32(blockhash) is None or not _is_slot(parent):
        return None
    if time is not None and not _is_time(time):
        return None
    return SolanaBlock(blockhash=blockhash, parent_slot=parent, time=time)


def blockhash_hex(blockhash: str) -> str:
    """Lowercase hex of the 32 bytes of a base58 blockhash already checked by `parse_block`."""
    raw = decode32(blockhash)
    if raw is None:
        raise ChainDataError(f"not a base58 32-byte blockhash: {blockhash[:64]!r}")
    return raw.hex()


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_slot(value: object) -> TypeGuard[int]:
    return _is_int(value) and 0 <= value <= _MAX_SLOT


def _is_time(value: object) -> TypeGuard[int]:
    return _is_int(value) and 0 <= value <= _MAX_TIMESTAMP


SPEC = Spec(kind=KIND, role="supply", parse_config=parse_config, build=SolanaSplAdapter)
