"""Jobs: plain async functions; the scheduler only attaches interval triggers to them."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from reserves.snapshot.take import SnapshotNotDue, take_snapshot
from reserves.trust.guardians import devnet_cosign
from reserves.evidence.service import EVIDENCE_DELAY, evidence_job
from reserves.errors import ReservesError
from reserves.devnet.proofs import ROUND_SECONDS, devnet_proofs_job
from reserves.jobs.prune import PRUNE_INTERVAL_SECONDS, prune_job
from reserves.jobs.monitor import monitor_job
from reserves.jobs.reconcile import reconcile_job
from reserves.trust.anchoring import anchor_job
from reserves.runtime import Runtime
from reserves.jobs.retention import RETENTION_INTERVAL_SECONDS, series_retention_job

log = logging.getLogger(__name__)


async def snapshot_job(rt: Runtime) -> None:
    """One snapshot; a failure is logged and the next interval tries again (the job never dies)."""
    if rt.closing or rt.snapshot_lock.locked():
        return  # the runtime is closing (or another snapshot runs): nothing to do
    try:
        async with rt.snapshot_lock:
            if rt.closing:
                return
            await take_snapshot(rt, min_gap_seconds=rt.settings.schedule.snapshot_interval_seconds / 2)
            rt.last_snapshot_error = None
            try:
                await devnet_cosign(rt)
            except Exception:  # the devnet's guardians failing is no refused snapshot
                log.exception("devnet guardians could not co-sign")
    except SnapshotNotDue as exc:
        log.info("snapshot not due: %s", exc.detail)
    except ReservesError as exc:
        rt.last_snapshot_error = {"code": exc.code, "detail": exc.detail[:500],
                                  "at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        log.warning("snapshot skipped: %s", exc.detail)
    except Exception:
        log.exception("snapshot failed")


async def devnet_tick_job(rt: Runtime) -> None:
    """Advance the devnet by one step (a block, maybe a deposit, mint or burn)."""
    if rt.devnet is None:
        return
    try:
        await asyncio.to_thread(rt.devnet.tick)
    except Exception:
        log.exception("devnet tick failed")


def leader_only(job):
    """The job, run only while this process leads (see reserves.jobs.leader); followers skip each run."""

    async def run(rt: Runtime) -> None:
        if rt.is_leader():
            await job(rt)

    run.__name__ = run.__qualname__ = job.__name__
    run.__wrapped__ = job
    return run


def build_scheduler(rt: Runtime) -> AsyncIOScheduler:
    """An AsyncIOScheduler with the snapshot job (and the devnet driver when the devnet runs).

    Jobs run at most one at a time and coalesce missed runs; the first snapshot runs at once.
    Every job runs only in the leading replica (`leader_only`).
    """
    scheduler = _LeaderScheduler(timezone=timezone.utc)
    now = datetime.now(timezone.utc)
    if rt.devnet is not None:
        scheduler.add_job(devnet_tick_job, "interval", args=[rt], id="devnet-tick", max_instances=1,
                          coalesce=True, seconds=rt.settings.devnet.block_interval_seconds)
        # The devnet custodian proves control of its reserve addresses, once the first snapshot exists.
        scheduler.add_job(devnet_proofs_job, "interval", args=[rt], id="devnet-proofs", max_instances=1,
                          coalesce=True, seconds=ROUND_SECONDS, next_run_time=now + timedelta(seconds=15))
    scheduler.add_job(snapshot_job, "interval", args=[rt], id="snapshot", max_instances=1, coalesce=True,
                      seconds=rt.settings.schedule.snapshot_interval_seconds, next_run_time=now)
    # SPV evidence of the latest attestation's UTXOs, a little after each snapshot.
    scheduler.add_job(evidence_job, "interval", args=[rt], id="evidence", max_instances=1, coalesce=True,
                      seconds=rt.settings.schedule.snapshot_interval_seconds, next_run_time=now + EVIDENCE_DELAY)
    # Public challenges past the freshness window prove nothing more: they must not pile up.
    scheduler.add_job(prune_job, "interval", args=[rt], id="proofs-prune", max_instances=1, coalesce=True,
                      seconds=PRUNE_INTERVAL_SECONDS)
    # Token logs replayed into the database (reorgs followed), then mints and burns reconciled.
    scheduler.add_job(monitor_job, "interval", args=[rt], id="supply-monitor", max_instances=1, coalesce=True,
                      seconds=rt.settings.schedule.snapshot_interval_seconds, next_run_time=now)
    scheduler.add_job(reconcile_job, "interval", args=[rt], id="reconcile", max_instances=1, coalesce=True,
                      seconds=rt.settings.schedule.snapshot_interval_seconds, next_run_time=now + EVIDENCE_DELAY)
    scheduler.add_job(anchor_job, "interval", args=[rt], id="anchor", max_instances=1, coalesce=True,
                      seconds=rt.settings.schedule.snapshot_interval_seconds, next_run_time=now + EVIDENCE_DELAY)
    scheduler.add_job(series_retention_job, "interval", args=[rt], id="series-retention", max_instances=1,
                      coalesce=True, seconds=RETENTION_INTERVAL_SECONDS, next_run_time=now + EVIDENCE_DELAY)
    return scheduler


class _LeaderScheduler(AsyncIOScheduler):
    """AsyncIOScheduler whose every job is wrapped in `leader_only`."""

    def add_job(self, func, *args, **kwargs):
        return super().add_job(leader_only(func), *args, **kwargs)
