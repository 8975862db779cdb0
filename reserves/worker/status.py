"""What a worker tells the web role through the database: alive, leading, its key, its last snapshot.

The web role runs in other processes, so nothing here is a shared field: each worker keeps one row
(reserves.storage.worker_models) fresh with a heartbeat, records the outcome of each scheduled
snapshot, and removes its row when it stops.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from reserves.storage import worker_repository as repo
from reserves.storage.db import Database
from reserves.storage.worker_models import WorkerStatusRow

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


class WorkerStatus:
    """The row of one worker process (`replica` is its leader-election identity)."""

    def __init__(self, db: Database, replica: str, pubkey: str, key_id: str) -> None:
        self.db, self.replica, self.pubkey, self.key_id = db, replica, pubkey, key_id
        self.started_at = _now()

    async def beat(self, leading: bool) -> None:
        """Say this worker is alive, and whether it leads; forget workers long silent."""
        now = _now()
        async with self.db.sessions() as session:
            async with session.begin():
                row = await repo.get(session, self.replica)
                if row is None:
                    row = WorkerStatusRow(
                        replica=self.replica,
                        started_at=self.started_at,
                        heartbeat_at=now,
                        leading=leading,
                        engine_pubkey=self.pubkey,
                        engine_key_id=self.key_id,
                    )
                row.heartbeat_at, row.leading = now, leading
                await repo.save(session, row)
                await repo.prune_older_than(session, now - 10 * repo.SILENT_AFTER)

    async def snapshot_done(self, error: dict | None) -> None:
        """Record the outcome of a scheduled snapshot: None when it stored one, else why it was refused."""
        async with self.db.sessions() as session:
            async with session.begin():
                row = await repo.get(session, self.replica)
                if row is None:
                    return  # not started yet (a snapshot taken by hand): nothing to report on
                row.last_snapshot_at = row.heartbeat_at = _now()  # a snapshot's end is a sign of life too
                row.last_snapshot_error = None if error is None else json.dumps(error, separators=(",", ":"))
                await repo.save(session, row)

    async def gone(self) -> None:
        """Remove this worker's row (a clean stop; a crashed worker's row just goes silent)."""
        try:
            async with self.db.sessions() as session:
                async with session.begin():
                    await repo.remove(session, self.replica)
        except Exception:  # noqa: BLE001 - stopping must not fail on a database that is going away
            log.warning("could not remove worker status row of %s", self.replica)
