"""A snapshot rig for engine tests: a database, settings, sources with scripted adapters, and keys,
all replaceable between snapshots (the worker fixes them at start; tests vary them on purpose)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reserves.attestation.keys import SigningKey
from reserves.declarations.reserve_set import build_reserve_set, record_reserve_set, source_wallets
from reserves.settings.model import Settings, SourceSettings
from reserves.snapshot import take
from reserves.snapshot.context import SnapshotContext
from reserves.snapshot.sources import Source, Sources
from reserves.storage.db import Database
from reserves.storage.models import ReserveSetVersion
from reserves.trust.keys import EngineKeys


@dataclass
class Cfg:
    """Test double of an adapter configuration: the fields the engine reads (chains.base protocols)."""

    max_age_seconds: int
    chain_id: str = "eip155:31337"
    contract: str = "0x" + "11" * 20
    wallets: tuple = ()
    network: str = "regtest"
    expected_decimals: int | None = None


def source(adapter: Any, role: str, max_age: int = 600) -> Source:
    kind = "bitcoin-esplora" if role == "reserve" else "evm-erc20"
    return Source(SourceSettings(name=adapter.name, kind=kind, role=role, config=Cfg(max_age)), adapter)


@dataclass
class Rig:
    db: Database
    settings: Settings
    signer: SigningKey
    previous_signer: SigningKey | None = None
    sources: Sources = field(default_factory=Sources)
    reserve_set: ReserveSetVersion | None = None

    @property
    def reserve_sources(self) -> list[Source]:
        return self.sources.reserve

    @reserve_sources.setter
    def reserve_sources(self, value: list[Source]) -> None:
        self.sources.reserve = value

    @property
    def supply_sources(self) -> list[Source]:
        return self.sources.supply

    @supply_sources.setter
    def supply_sources(self, value: list[Source]) -> None:
        self.sources.supply = value

    async def context(self) -> SnapshotContext:
        """The context of the rig as it is now (the reserve set recorded on first use, as a worker does)."""
        if self.reserve_set is None:
            self.reserve_set = await record_reserve_set(
                self.db,
                build_reserve_set(source_wallets(self.sources.reserve)),
                self.settings.reserve_set.reason,
                devnet=self.settings.devnet.enabled,
            )
        return SnapshotContext(
            self.db, self.settings, self.sources, EngineKeys(self.signer, self.previous_signer), self.reserve_set
        )


async def take_snapshot(rig: Rig, *, now: datetime | None = None, min_gap_seconds: float | None = None) -> dict:
    return await take.take_snapshot(await rig.context(), now=now, min_gap_seconds=min_gap_seconds)
