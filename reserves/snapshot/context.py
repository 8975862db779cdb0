"""What every snapshot of a worker reads and who signs it, decided once when the worker starts."""

from __future__ import annotations

from dataclasses import dataclass

from reserves.attestation.members.guardians import GuardianSet
from reserves.declarations.reserve_set import build_reserve_set, record_reserve_set, source_wallets
from reserves.settings.model import Settings
from reserves.snapshot.sources import Sources
from reserves.storage.db import Database
from reserves.storage.models import ReserveSetVersion
from reserves.trust.keys import EngineKeys


@dataclass(frozen=True)
class SnapshotContext:
    """The database, the settings (policy, issuer, scope, timeouts), the sources and their adapters,
    the engine keys, the guardian set, and the reserve-set version the sources declare."""

    db: Database
    settings: Settings
    sources: Sources
    keys: EngineKeys
    reserve_set: ReserveSetVersion

    @property
    def guardians(self) -> GuardianSet | None:
        return self.settings.guardians


async def snapshot_context(db: Database, settings: Settings, sources: Sources, keys: EngineKeys) -> SnapshotContext:
    """The context, with the declared reserve set recorded first (a changed set becomes a new version
    here, before any attestation uses it; ConfigError when it changed without a new reason)."""
    reserve_set = await record_reserve_set(
        db,
        build_reserve_set(source_wallets(sources.reserve)),
        settings.reserve_set.reason,
        devnet=settings.devnet.enabled,
    )
    return SnapshotContext(db, settings, sources, keys, reserve_set)
