"""The worker's scheduler: interval triggers attached to plain async jobs, each given what it uses.

Jobs run at most one at a time and coalesce missed runs; the first snapshot runs at once. Every
job but the heartbeat runs only in the leading worker (`leader_only`, see reserves.jobs.leader).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from reserves.devnet.guardians import cosign
from reserves.devnet.proofs import ROUND_SECONDS, devnet_proofs_job
from reserves.evidence.service import EVIDENCE_DELAY
from reserves.jobs.anchor import anchor_job
from reserves.jobs.evidence import evidence_job
from reserves.jobs.monitor import evm_deployments, monitor_job
from reserves.jobs.prices import price_job
from reserves.jobs.proof_expiry import EXPIRY_INTERVAL_SECONDS, proof_expiry_job
from reserves.jobs.prune import PRUNE_INTERVAL_SECONDS, prune_job
from reserves.jobs.reconcile import build_setup, reconcile_job
from reserves.jobs.retention import RETENTION_INTERVAL_SECONDS, series_retention_job
from reserves.jobs.snapshot import snapshot_job
from reserves.worker.status import HEARTBEAT_SECONDS

Job = Callable[[], Awaitable[None]]
log = logging.getLogger(__name__)
FIRST_PRICE_SLACK_SECONDS = 5.0  # beyond the first price round's own deadline


STOP_GRACE_SECONDS = 5.0


class JobScheduler(AsyncIOScheduler):
    """APScheduler's asyncio scheduler that knows its running jobs: `stop()` cancels them and waits,
    so that none is still inside a database session when the worker closes its engine."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.running_jobs: set[asyncio.Task] = set()

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        self.shutdown(wait=False)
        tasks = [t for t in self.running_jobs if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)


def leader_only(job: Job, is_leader: Callable[[], bool], running: set | None = None) -> Job:
    """`job`, run only while this process leads; followers skip each run."""

    async def run() -> None:
        if is_leader():
            await stoppable(job, running)()

    run.__name__ = run.__qualname__ = _name(job)
    run.__wrapped__ = job  # type: ignore[attr-defined]  # what the tests and logs look for
    return run


def stoppable(job: Job, running: set | None = None) -> Job:
    """`job`, ending quietly when the stopping worker cancels it (its transaction rolls back); while
    it runs, its task is in `running`."""

    async def run() -> None:
        task = asyncio.current_task()
        if running is not None and task is not None:
            running.add(task)
        try:
            await job()
        except asyncio.CancelledError:
            log.info("job %s cancelled: the worker is stopping", _name(job))
        finally:
            if running is not None:
                running.discard(task)

    return run


def _name(job: Job) -> str:
    # A function's own name, else a functools.partial's function's, else "job".
    return str(getattr(job, "__name__", None) or getattr(getattr(job, "func", None), "__name__", "job"))


def build_scheduler(worker: Any) -> JobScheduler:
    """The scheduler of a started `reserves.worker.Worker` (its parts are the jobs' arguments)."""
    scheduler = JobScheduler(timezone=timezone.utc)
    now = datetime.now(timezone.utc)
    s, db = worker.settings, worker.db
    interval = s.schedule.snapshot_interval_seconds
    lead = worker.leadership.is_leader

    def add(job_id: str, job: Job, seconds: float, first: datetime | None = None, *, leader: bool = True) -> None:
        scheduler.add_job(
            leader_only(job, lead, scheduler.running_jobs) if leader else stoppable(job, scheduler.running_jobs),
            "interval",
            id=job_id,
            max_instances=1,
            coalesce=True,
            seconds=seconds,
            **({"next_run_time": first} if first else {}),
        )

    async def heartbeat() -> None:
        await worker.status.beat(lead())

    add("heartbeat", heartbeat, HEARTBEAT_SECONDS, now, leader=False)
    guardians = worker.devnet_guardians

    async def after_snapshot() -> None:
        if worker.webhooks is not None:
            worker.webhooks.wake()  # the attestation's events go out now, not at the next poll
        if guardians:
            await cosign(db, guardians)
            if worker.webhooks is not None:
                worker.webhooks.wake()  # and attestation.finalized right after the co-signatures
        # SPV evidence is collected for the newest attestation: start at once, not at the job's
        # next tick (at the same interval, that tick fell just before the next snapshot).
        evidence = scheduler.get_job("evidence")
        if evidence is not None:
            evidence.modify(next_run_time=datetime.now(timezone.utc))

    snapshot = partial(snapshot_job, worker.context, worker.status, worker.snapshot_lock, after_snapshot)
    priced = asyncio.Event()  # set once this worker's first price round ended, whatever its outcome
    if s.prices.enabled and s.providers:
        # Providers' USD collateral is valued with the newest round: the worker's first snapshot waits for
        # its first round (at most that round's deadline), or every start would publish them unknown.
        wait = min(s.prices.interval_seconds, 60.0) + FIRST_PRICE_SLACK_SECONDS

        async def first_snapshot_after_prices() -> None:
            if not priced.is_set():
                try:
                    await asyncio.wait_for(priced.wait(), wait)
                except TimeoutError:
                    log.warning("no price round within %.0f s: the snapshot goes ahead without it", wait)
            await snapshot()

        add("snapshot", first_snapshot_after_prices, interval, now)
    else:
        add("snapshot", snapshot, interval, now)
    # SPV evidence of the latest attestation's UTXOs: right after each snapshot, and each interval.
    add("evidence", partial(evidence_job, db, s.reserves), interval, now + EVIDENCE_DELAY)
    # Public challenges that prove nothing more (past the freshness window or their ttl, or beyond the
    # cap) must not pile up: each allowed POST /api/v1/challenges stores one.
    add(
        "proofs-prune",
        partial(prune_job, db, s.proofs.max_age_seconds, s.proofs.max_public_challenges),
        PRUNE_INTERVAL_SECONDS,
    )
    # proof.expiring events: each proof of control shortly before it leaves its freshness window.
    add("proof-expiry", partial(proof_expiry_job, db, s.proofs.max_age_seconds), EXPIRY_INTERVAL_SECONDS, now)
    # Token logs replayed into the database (reorgs followed), then mints and burns reconciled.
    add("supply-monitor", partial(monitor_job, db, evm_deployments(s.deployments)), interval, now)
    add("reconcile", partial(reconcile_job, db, build_setup(s)), interval, now + EVIDENCE_DELAY)
    if worker.anchorer is not None:
        add("anchor", partial(anchor_job, worker.anchorer), interval, now + EVIDENCE_DELAY)
    add(
        "series-retention",
        partial(series_retention_job, db, s.timeseries.raw_retention_days),
        RETENTION_INTERVAL_SECONDS,
        now + EVIDENCE_DELAY,
    )
    if s.prices.enabled:
        # The median price oracle, on its own interval. Prices never enter the ratio; a snapshot values
        # providers' USD collateral with the newest round (reserves.providers.price).
        adapters = [src.adapter for src in worker.sources.price]

        async def prices() -> None:
            try:
                await price_job(db, s.prices, adapters)
            finally:
                priced.set()

        add("prices", prices, s.prices.interval_seconds, now)
    if s.devnet.enabled:
        # The devnet custodian proves control of its reserve addresses, once the first snapshot exists.
        add("devnet-proofs", partial(devnet_proofs_job, db, s), ROUND_SECONDS, now + timedelta(seconds=15))
    return scheduler
