"""Test doubles (named as such): adapters that return scripted readings or fail on demand.

They exist for what no real peer can be made to do on cue: fail at a chosen snapshot, hang, or
return a chosen figure. Every happy-path test uses the real devnet, anvil or PostgreSQL instead.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timezone

from chains.base import BalanceReading, BlockRef, ReserveReading, SupplyReading, Utxo
from chains.errors import ChainError

BTC_CHAIN = "bip122:0f9188f13cb7b2c71f2a335e3a4fc328"


def utxo(n: int, value: int, height: int = 100) -> Utxo:
    return Utxo(txid=f"{n:064x}", vout=0, value_sat=value, address="bcrt1qexample", height=height, confirmations=10)


def reserve_reading(name: str, values: list[int], *, when: datetime | None = None, start: int = 0) -> ReserveReading:
    utxos = tuple(utxo(start + i, v) for i, v in enumerate(values))
    block = BlockRef(BTC_CHAIN, 110, "ab" * 32, when or datetime.now(timezone.utc).replace(microsecond=0))
    return ReserveReading(
        source=name, block=block, min_confirmations=6, utxos=utxos, total_sat=sum(values), addresses_scanned=len(values)
    )


def supply_reading(
    name: str,
    total: int,
    decimals: int = 8,
    *,
    when: datetime | None = None,
    chain: str = "eip155:31337",
    contract: str = "0x" + "11" * 20,
) -> SupplyReading:
    block = BlockRef(chain, 50, "0x" + "cd" * 32, when or datetime.now(timezone.utc).replace(microsecond=0))
    return SupplyReading(deployment=name, contract=contract, block=block, total_supply=total, decimals=decimals)


@dataclass
class ScriptedReserveAdapter:
    """Test double: returns `reading`, or raises `error`, or hangs when `hang` is set."""

    name: str
    reading: ReserveReading | None = None
    error: Exception | None = None
    hang: bool = False
    kind: str = "bitcoin-esplora"
    calls: int = field(default=0)

    async def read_reserves(self) -> ReserveReading:
        self.calls += 1
        if self.hang:
            await asyncio.sleep(3600)
        if self.error is not None:
            raise self.error
        return self.reading

    async def aclose(self) -> None:
        return None


@dataclass
class ScriptedSupplyAdapter:
    """Test double: returns `reading`, or raises `error`."""

    name: str
    reading: SupplyReading | None = None
    error: Exception | None = None
    kind: str = "evm-erc20"

    async def read_supply(self) -> SupplyReading:
        if self.error is not None:
            raise self.error
        return self.reading

    async def aclose(self) -> None:
        return None


@dataclass
class ScriptedBalanceAdapter:
    """Test double of chains.evm.balances.EvmBalanceAdapter: `raw` (one holder's balance) on `chain` at
    a block of now, or raises `error`. For figures no chain holds on cue (beyond 2**64, at once)."""

    name: str
    chain: str
    raw: int
    decimals: int
    error: Exception | None = None

    async def read_balances(self) -> BalanceReading:
        if self.error is not None:
            raise self.error
        block = BlockRef(self.chain, 50, "0x" + "cd" * 32, datetime.now(timezone.utc).replace(microsecond=0))
        holder = "0x" + "ab" * 20
        return BalanceReading(self.name, block, None, (holder,), (self.raw,), self.raw, self.decimals)

    async def aclose(self) -> None:
        return None


class BackendDown(ChainError):
    code = "chain_unavailable"
