"""The snapshot job: one attestation per interval; a failure is recorded and the next interval tries again."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

from reserves import metrics
from reserves.errors import ReservesError
from reserves.read.display import iso
from reserves.snapshot.context import SnapshotContext
from reserves.snapshot.take import SnapshotNotDue, take_snapshot
from reserves.worker.status import WorkerStatus

log = logging.getLogger(__name__)


async def snapshot_job(
    ctx: SnapshotContext, status: WorkerStatus, lock: asyncio.Lock, after: Callable[[], Awaitable[None]] | None = None
) -> None:
    """One snapshot under `lock` (held while it runs, so a stopping worker waits for it); never raises.

    The outcome goes to the worker's status row: cleared on success, the refusal's code and detail
    otherwise (the web role's /admin/v1/health shows it; /readyz says snapshots_refused). It is
    timed and counted in reserves.metrics. `after` runs once an attestation was stored (the
    devnet's guardians co-sign there); its failure is no refused snapshot.
    """
    if lock.locked():
        return  # the previous one still runs (or the worker is stopping): nothing to do
    started = time.perf_counter()
    try:
        async with lock:
            started = time.perf_counter()
            await take_snapshot(ctx, min_gap_seconds=ctx.settings.schedule.snapshot_interval_seconds / 2)
            metrics.SNAPSHOT_DURATION.observe(time.perf_counter() - started)
            await _report(status, None)
            if after is not None:
                try:
                    await after()
                except Exception:
                    log.exception("after the snapshot")
    except SnapshotNotDue as exc:
        log.info("snapshot not due: %s", exc.detail)
    except ReservesError as exc:
        metrics.SNAPSHOT_DURATION.observe(time.perf_counter() - started)
        metrics.snapshot_failed(exc.code)
        await _report(status, {"code": exc.code, "detail": exc.detail[:500], "at": iso(datetime.now(timezone.utc))})
        log.warning("snapshot skipped: %s", exc.detail)
    except Exception:
        metrics.SNAPSHOT_DURATION.observe(time.perf_counter() - started)
        metrics.snapshot_failed("internal")
        log.exception("snapshot failed")


async def _report(status: WorkerStatus, error: dict | None) -> None:
    try:
        await status.snapshot_done(error)
    except Exception:  # noqa: BLE001 - the database may be what failed: the log has it either way
        log.warning("could not record the snapshot's outcome")
