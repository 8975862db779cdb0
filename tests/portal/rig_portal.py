"""The web role over a database the engine rig writes (tests.engine_rig): scripted sources, so a test
sets the ratio, fails a source or dates an attestation in the past, then reads what the portal serves.
No devnet: nothing here needs a chain."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from litestar.testing import TestClient

from portal.app import create_app
from reserves.attestation.keys import SigningKey
from reserves.settings.load import default_settings
from reserves.storage.db import open_database
from tests.doubles.adapters import (
    BackendDown,
    ScriptedReserveAdapter,
    ScriptedSupplyAdapter,
    reserve_reading,
    supply_reading,
)
from tests.engine_rig import Rig, source, take_snapshot
from tests.support import serve_now
from tests.world import ROOMY_LIMITS

RESERVES = [60_000, 50_000]  # 110 000 sat


@dataclass
class RigPortal:
    client: TestClient
    rig: Rig

    def snapshot(self, supply: int = 100_000, *, when: datetime | None = None, failed: bool = False) -> dict:
        """One attestation of the reserves against `supply` sat (100 000: 110.00 %, healthy), issued
        and read `when` (now when None); `failed` makes the supply source fail (stale, no ratio).
        Served at once, as the web role would within its poll."""
        reserve = self.rig.reserve_sources[0].adapter
        reserve.reading = reserve_reading("cold", RESERVES, when=when)
        token = self.rig.supply_sources[0].adapter
        token.reading = supply_reading("eth", supply, when=when)
        token.error = BackendDown("connection refused") if failed else None
        env = self.client.blocking_portal.call(lambda: take_snapshot(self.rig, now=when))
        serve_now(self.client)
        return env


@contextmanager
def rig_portal(data_dir: Path, db_url: str | None = None) -> Iterator[RigPortal]:
    """The web role and the rig on the embedded SQLite file in `data_dir`, or on `db_url`."""
    base = default_settings(data_dir)
    database = base.database if db_url is None else replace(base.database, url=db_url)
    settings = replace(base, devnet=replace(base.devnet, enabled=False), ratelimit=ROOMY_LIMITS, database=database)
    with TestClient(create_app(settings)) as client:  # migrates the database at start
        rig = Rig(open_database(settings.database.url), settings, SigningKey(os.urandom(32)))
        rig.reserve_sources = [source(ScriptedReserveAdapter("cold", reserve_reading("cold", RESERVES)), "reserve")]
        rig.supply_sources = [source(ScriptedSupplyAdapter("eth", supply_reading("eth", 100_000)), "supply")]
        try:
            yield RigPortal(client, rig)
        finally:
            client.blocking_portal.call(rig.db.dispose)
