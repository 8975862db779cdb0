"""A worker process's parts: built from settings at start, released at stop; the jobs get them one by one.

`Worker.start(settings)` migrates, opens the database, joins the leader election, loads the engine
keys, fetches the devnet's manifest when the devnet is on, builds the adapters, records the declared
reserve set and the configuration, announces itself and prepares webhook delivery; `close()` waits for a running
snapshot and releases everything. Nothing here is handed to a job whole: reserves.jobs.schedule
gives each job the parts it uses.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from chains.evm.anchor import AnchorClient
from reserves.attestation.keys import SigningKey
from reserves.devnet.guardians import devnet_guardian_set
from reserves.devnet.manifest import resolve
from reserves.jobs.leader import leadership_for
from reserves.settings.model import Settings
from reserves.snapshot.context import SnapshotContext, snapshot_context
from reserves.snapshot.sources import Sources
from reserves.storage.db import Database, open_database
from reserves.storage.migrate import upgrade
from reserves.storage.timescale import refresh_aggregates
from reserves.trust.anchoring import Anchorer
from reserves.trust.config_audit import record_config
from reserves.trust.keys import load_keys
from reserves.webhooks.dispatcher import Dispatcher
from reserves.webhooks.keys import load_webhook_keys
from reserves.worker.status import WorkerStatus

log = logging.getLogger(__name__)
CLOSE_WAIT_SECONDS = 30


async def prepare_database(settings: Settings) -> Database:
    """Migrate when `database.auto_migrate`, refresh TimescaleDB's aggregates, open the database."""
    if settings.database.auto_migrate:
        await asyncio.to_thread(upgrade, settings.database.url)
    if settings.database.url.startswith("postgresql"):
        await asyncio.to_thread(refresh_aggregates, settings.database.url)  # TimescaleDB only; see there
    return open_database(settings.database.url)


@dataclass
class Worker:
    """`settings` are the resolved ones (the devnet's sources included); `loaded` as the file says."""

    loaded: Settings
    settings: Settings | None = None
    db: Database | None = None
    leadership: Any = None
    sources: Sources = field(default_factory=Sources)
    context: SnapshotContext | None = None
    status: WorkerStatus | None = None
    anchorer: Anchorer | None = None
    devnet_guardians: list[SigningKey] = field(default_factory=list)
    # Delivers webhooks; None for a one-off process or with [webhooks] enabled = false.
    webhooks: Dispatcher | None = None
    # Held by a running snapshot; close() waits for it so a snapshot never sees half a worker.
    snapshot_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # False for a one-off process (`reserves snapshot`): it writes no status row, so the web role
    # never mistakes it for a running worker.
    announce: bool = True

    @classmethod
    async def start(cls, loaded: Settings, *, announce: bool = True) -> Worker:
        """A new worker of `loaded`, opened."""
        worker = cls(loaded, announce=announce)
        await worker.open()
        return worker

    async def open(self) -> None:
        """Build every part; on failure release what was already started, then re-raise."""
        try:
            await self._open()
        except BaseException:
            await self.close()
            raise

    async def _open(self) -> None:
        keys = load_keys(self.loaded)  # a missing or bad key fails before anything else starts
        self.db = await prepare_database(self.loaded)
        self.leadership = leadership_for(self.loaded.database.url, self.loaded.replicas)
        await self.leadership.start()
        self.settings = s = await resolve(self.loaded)
        if self.loaded.devnet.enabled and self.loaded.guardians is None:
            self.devnet_guardians = devnet_guardian_set()[1]
        self.sources = Sources.open(s)
        if s.anchor is not None:
            client = AnchorClient(
                s.anchor.rpc_url,
                s.anchor.contract,
                s.anchor.sender_key,
                chain_id=int(s.anchor.chain_id.split(":")[1]),
                timeout=s.anchor.timeout_seconds,
            )
            self.anchorer = Anchorer(self.db, client, s.anchor)
        self.context = await snapshot_context(self.db, s, self.sources, keys)
        # The file's settings, not the devnet's sources: those change with every devnet start.
        await record_config(self.db, self.loaded, keys.engine)
        self.status = WorkerStatus(self.db, self.leadership.identity, keys.engine.pubkey_hex, keys.engine.key_id)
        if self.announce:
            await self.status.beat(self.leadership.is_leader())
        if self.announce and s.webhooks.enabled:
            webhook_keys = load_webhook_keys(s.webhooks)
            if webhook_keys.vault is None:
                log.warning("webhooks: no webhooks.secrets_key configured; nothing will be delivered")
            self.webhooks = Dispatcher(self.db, s.webhooks, webhook_keys, self.leadership.identity)

    def is_leader(self) -> bool:
        """Whether this process runs the scheduled jobs (always, on SQLite)."""
        return self.leadership is not None and self.leadership.is_leader()

    async def close(self) -> None:
        held = False
        try:
            await asyncio.wait_for(self.snapshot_lock.acquire(), CLOSE_WAIT_SECONDS)
            held = True
        except TimeoutError:
            log.warning("closing while a snapshot still runs after %d s", CLOSE_WAIT_SECONDS)
        try:
            await self._release()
        finally:
            if held:
                self.snapshot_lock.release()

    async def _release(self) -> None:
        if self.webhooks is not None:
            await self.webhooks.stop()
            self.webhooks = None
        if self.leadership is not None:
            await self.leadership.stop()
        if self.status is not None:
            await self.status.gone()
            self.status = None
        if self.anchorer is not None:
            await self.anchorer.client.aclose()
            self.anchorer = None
        await self.sources.aclose()
        if self.db is not None:
            await self.db.dispose()
            self.db = None
