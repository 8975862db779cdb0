"""The three roles in one test process: the devnet (threads, real HTTP), a worker, and the web app.

The devnet serves its manifest on a free port, exactly as `reserves devnet` does; the worker and the
web app read it through `[devnet] url` like the real processes. The worker runs no scheduler: tests
decide when the devnet moves and when a snapshot is taken.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from portal.app import create_app
from reserves.devnet.guardians import cosign
from reserves.devnet.process import DevnetProcess
from reserves.jobs.monitor import evm_deployments, monitor_job
from reserves.jobs.prices import price_job
from reserves.jobs.reconcile import build_setup, reconcile_job
from reserves.settings.load import default_settings
from reserves.settings.model import Settings
from reserves.settings.ratelimit import Budget, ChallengeBudget, RateLimitSettings
from reserves.snapshot.take import take_snapshot
from reserves.storage.db import sqlite_file
from reserves.worker.worker import Worker
from tests.support import serve_now
from tests.templates import migrated_sqlite

# Every request still passes the limiter, but the budgets are out of the way of tests about something
# else (one test client asks far more than any one client should); tests/ratelimit tests the limits.
_ROOMY = Budget(1_000_000, 60)
ROOMY_LIMITS = RateLimitSettings(
    **{name: _ROOMY for name in ("api", "static", "pages", "expensive", "signatures", "admin", "admin_failures")},
    challenges=_ROOMY,
    challenges_all=ChallengeBudget(1_000_000, 60, 0),
)


def start_devnet(**options: Any) -> DevnetProcess:
    """A devnet on free ports, not driven (tests tick it)."""
    settings = replace(default_settings().devnet, enabled=True, port=0, **options)
    return DevnetProcess.start(settings, drive=False)


def devnet_settings(data_dir: Path, devnet: DevnetProcess, **changes: Any) -> Settings:
    """The embedded default in `data_dir`, reading `devnet` (its manifest URL), with `changes`."""
    base = default_settings(data_dir)
    return replace(base, devnet=replace(base.devnet, url=devnet.url, wait_seconds=30.0), **changes)


# How often `snapshot` runs a price round: well inside the devnet's price max_age (60 s), so the
# providers' USD collateral is valued at every snapshot; a test that moves the price calls `prices()`.
PRICE_ROUND_SECONDS = 20.0


@dataclass
class World:
    """A web app client, its worker and the devnet they both read."""

    client: TestClient
    worker: Worker
    devnet_process: DevnetProcess
    priced_at: float = float("-inf")  # time.monotonic() of the last price round run by `prices`

    @property
    def devnet(self):
        return self.devnet_process.devnet

    @property
    def services(self):
        return self.client.app.state.services

    @property
    def settings(self) -> Settings:
        """The resolved settings (the devnet's sources included)."""
        return self.worker.settings

    @property
    def db(self):
        return self.worker.db

    def call(self, fn, *args, **kwargs):
        """Run `fn(*args, **kwargs)` (a coroutine function) in the app's event loop."""
        return self.client.blocking_portal.call(lambda: fn(*args, **kwargs))

    def tick(self, n: int = 1) -> None:
        for _ in range(n):
            self.devnet.tick()

    def monitor(self) -> None:
        """One run of the worker's monitor job over every EVM deployment."""
        self.call(monitor_job, self.db, evm_deployments(self.settings.deployments))

    def reconcile(self) -> None:
        """One run of the worker's reconciliation job."""
        self.call(reconcile_job, self.db, build_setup(self.settings))

    def prices(self, *, if_older_than: float = 0.0) -> None:
        """One round of the worker's price job (over the devnet's tickers and feed), when prices are on
        and the last round this world ran is older than `if_older_than` seconds."""
        if not self.settings.prices.enabled or time.monotonic() - self.priced_at < if_older_than:
            return
        adapters = [src.adapter for src in self.worker.sources.price]
        self.call(price_job, self.db, self.settings.prices, adapters)
        self.priced_at = time.monotonic()

    def snapshot(self, ticks: int = 1, cosign_it: bool = True) -> dict:
        """Advance the devnet, run a price round (the worker's price job runs every few seconds), take
        one attestation and (as the worker's job does) let the devnet's guardians co-sign it; returns
        the envelope as the API serves it."""
        self.tick(ticks)
        self.prices(if_older_than=PRICE_ROUND_SECONDS)
        env = self.call(take_snapshot, self.worker.context)
        if cosign_it:
            self.call(cosign, self.worker.db, self.worker.devnet_guardians)
        serve_now(self.client)  # the web role sees it within its poll; a test reads it now
        return self.client.get(f"/api/v1/attestations/{env['id']}").json()


@contextmanager
def world(data_dir: Path, devnet: DevnetProcess | None = None, **changes: Any) -> Iterator[World]:
    """Start the web app and a worker on `devnet` (a new one when not given) and stop them after."""
    own = devnet is None
    devnet = devnet or start_devnet()
    try:
        settings = devnet_settings(data_dir, devnet, **{"ratelimit": ROOMY_LIMITS, **changes})
        database = sqlite_file(settings.database.url)
        if database is not None and not database.exists():
            migrated_sqlite(database)  # the roles' auto-migration then finds it at head (tests.templates)
        with TestClient(create_app(settings)) as client:
            worker = client.blocking_portal.call(Worker.start, settings)
            client.world = World(client, worker, devnet)  # for helpers that get only the client
            try:
                yield client.world
            finally:
                client.blocking_portal.call(worker.close)
    finally:
        if own:
            devnet.stop()
