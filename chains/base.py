"""Interfaces and value types shared by all adapters: what a reading is and where it was made."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class BlockRef:
    """The block a reading was made at.

    `chain_id` is CAIP-2 (`bip122:<genesis hash prefix>`, `eip155:<chain id>`); `hash` is lowercase
    hex as the chain shows it (Bitcoin: big-endian display order, no 0x; EVM: 0x-prefixed);
    `time` is the block's own timestamp (UTC, tz-aware).
    """

    chain_id: str
    height: int
    hash: str
    time: datetime


@dataclass(frozen=True)
class Utxo:
    """One unspent output paying a reserve address. `value_sat` in satoshis."""

    txid: str
    vout: int
    value_sat: int
    address: str
    height: int | None  # None while unconfirmed
    confirmations: int  # relative to the reading's tip; 0 when unconfirmed


@dataclass(frozen=True)
class ReserveReading:
    """Bitcoin reserves of one source at one tip.

    `utxos` holds only outputs with at least `min_confirmations` relative to `block` (the tip read
    first), deduplicated by outpoint; `total_sat` is their sum. Outputs seen but not counted
    (too shallow, unconfirmed) are in `uncounted`.
    """

    source: str
    block: BlockRef
    min_confirmations: int
    utxos: tuple[Utxo, ...]
    total_sat: int
    addresses_scanned: int
    uncounted: tuple[Utxo, ...] = field(default=())


@dataclass(frozen=True)
class SupplyReading:
    """Token supply of one deployment at one confirmed block.

    `total_supply` is in raw token units (10**decimals units = 1 BTC); `decimals` was read on chain.
    `block` is the confirmed block the calls were made at (head minus N, or `finalized`).
    """

    deployment: str
    contract: str
    block: BlockRef
    total_supply: int
    decimals: int


@runtime_checkable
class ReserveAdapter(Protocol):
    """Reads the Bitcoin reserves it was configured with."""

    kind: str
    name: str

    async def read_reserves(self) -> ReserveReading: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class SupplyAdapter(Protocol):
    """Reads the supply of one token deployment."""

    kind: str
    name: str

    async def read_supply(self) -> SupplyReading: ...

    async def aclose(self) -> None: ...
