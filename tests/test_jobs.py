"""Jobs and their scheduler: one snapshot at a time, the first at once, and a job that never dies."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from reserves.errors import StorageError
from reserves.jobs import schedule
from reserves.jobs import snapshot as snapshot_mod
from reserves.jobs.snapshot import snapshot_job
from reserves.settings.load import default_settings
from reserves.worker.worker import Worker


class StatusDouble:
    """Test double of reserves.worker.status.WorkerStatus: remembers what it was told."""

    def __init__(self) -> None:
        self.outcomes: list[dict | None] = []
        self.beats: list[bool] = []

    async def snapshot_done(self, error: dict | None) -> None:
        self.outcomes.append(error)

    async def beat(self, leading: bool) -> None:
        self.beats.append(leading)


def light_worker(tmp_path, *, devnet: bool = False, snapshot_every: float = 17.0, anchorer=None):
    """Settings and stand-ins only (no database, key or chain): the scheduler reads nothing else."""
    settings = default_settings(tmp_path)
    settings = replace(
        settings,
        schedule=replace(settings.schedule, snapshot_interval_seconds=snapshot_every),
        devnet=replace(settings.devnet, enabled=devnet),
    )
    context = SimpleNamespace(settings=settings)
    return SimpleNamespace(
        settings=settings,
        db=object(),
        leadership=SimpleNamespace(is_leader=lambda: True),
        status=StatusDouble(),
        context=context,
        snapshot_lock=asyncio.Lock(),
        devnet_guardians=[],
        anchorer=anchorer,
        webhooks=None,
    )


def raising_take_snapshot(exc: Exception):
    """Test double for reserves.snapshot.take.take_snapshot: fails with `exc` and counts its calls."""

    async def take_snapshot(ctx, **_kw):
        take_snapshot.calls += 1
        raise exc

    take_snapshot.calls = 0
    return take_snapshot


def test_snapshot_job_runs_alone_coalesced_and_first_at_once(tmp_path):
    worker = light_worker(tmp_path)
    scheduler = schedule.build_scheduler(worker)
    job = scheduler.get_job("snapshot")
    # Every job but the heartbeat is wrapped so that only the leading worker runs it (reserves.jobs.leader).
    wrapped = job.func.__wrapped__
    assert wrapped.func is snapshot_job and wrapped.args[:3] == (worker.context, worker.status, worker.snapshot_lock)
    # A slow snapshot must not overlap the next, and missed runs after a stall collapse into one.
    assert job.max_instances == 1 and job.coalesce is True
    assert job.trigger.interval == timedelta(seconds=17)
    # The worker publishes its first attestation at start, not one interval later.
    assert abs(job.next_run_time - datetime.now(timezone.utc)) < timedelta(seconds=5)
    assert [j.id for j in scheduler.get_jobs()] == [
        "heartbeat",
        "snapshot",
        "evidence",
        "proofs-prune",
        "proof-expiry",
        "supply-monitor",
        "reconcile",
        "series-retention",
    ]


def test_devnet_and_anchor_jobs_only_when_configured(tmp_path):
    worker = light_worker(tmp_path, devnet=True, anchorer=object())
    scheduler = schedule.build_scheduler(worker)
    proofs = scheduler.get_job("devnet-proofs")
    assert proofs.max_instances == 1 and proofs.coalesce is True
    # The devnet moves in its own process now: the worker only proves control for its custodian.
    assert {j.id for j in scheduler.get_jobs()} == {
        "heartbeat",
        "snapshot",
        "evidence",
        "devnet-proofs",
        "proofs-prune",
        "proof-expiry",
        "supply-monitor",
        "reconcile",
        "anchor",
        "series-retention",
    }


async def test_followers_skip_every_job_but_the_heartbeat(tmp_path):
    worker = light_worker(tmp_path)
    worker.leadership = SimpleNamespace(is_leader=lambda: False)
    ran = []

    async def job():
        ran.append(1)

    await schedule.leader_only(job, worker.leadership.is_leader)()
    assert ran == []
    scheduler = schedule.build_scheduler(worker)
    await scheduler.get_job("heartbeat").func()
    assert worker.status.beats == [False]


@pytest.mark.parametrize(
    "exc, level, message",
    [
        (StorageError("database is locked"), logging.WARNING, "snapshot skipped: database is locked"),
        (RuntimeError("a bug"), logging.ERROR, "snapshot failed"),
    ],
)
async def test_snapshot_job_logs_and_survives_any_failure(tmp_path, monkeypatch, caplog, exc, level, message):
    double = raising_take_snapshot(exc)
    monkeypatch.setattr(snapshot_mod, "take_snapshot", double)
    worker = light_worker(tmp_path)
    with caplog.at_level(logging.WARNING, logger="reserves.jobs.snapshot"):
        for _ in range(2):  # and the next interval runs again as if nothing happened
            await snapshot_job(worker.context, worker.status, worker.snapshot_lock)
    assert double.calls == 2
    records = [r for r in caplog.records if r.name == "reserves.jobs.snapshot"]
    assert [(r.levelno, r.getMessage()) for r in records] == [(level, message)] * 2
    # An unexpected error keeps its traceback in the log; an expected one is a one-line warning.
    assert all((r.exc_info is not None) == (level == logging.ERROR) for r in records)
    # A refusal is what /healthz shows (through the worker's status row); a bug is only logged.
    expected = [{"code": exc.code, "detail": exc.detail}] * 2 if level == logging.WARNING else []
    assert [{k: o[k] for k in ("code", "detail")} for o in worker.status.outcomes] == expected


async def test_a_stored_snapshot_clears_the_last_refusal_then_runs_after(tmp_path, monkeypatch):
    worker = light_worker(tmp_path)
    calls = []

    async def ok(ctx, **_kw):  # test double: a snapshot that stores
        calls.append("snapshot")

    async def after():
        calls.append("after")

    monkeypatch.setattr(snapshot_mod, "take_snapshot", ok)
    await snapshot_job(worker.context, worker.status, worker.snapshot_lock, after)
    assert calls == ["snapshot", "after"] and worker.status.outcomes == [None]


async def test_close_waits_for_a_running_snapshot(tmp_path, monkeypatch):
    """Shutdown must not pull the database from under a snapshot that is still writing."""
    worker = Worker(default_settings(tmp_path))  # never opened: close() releases nothing but waits
    order = []

    async def slow_snapshot(_ctx, **_kw):  # test double: a snapshot that takes a moment
        order.append("snapshot start")
        await asyncio.sleep(0.3)
        order.append("snapshot end")

    monkeypatch.setattr(snapshot_mod, "take_snapshot", slow_snapshot)
    ctx = SimpleNamespace(settings=worker.loaded)
    task = asyncio.create_task(snapshot_job(ctx, StatusDouble(), worker.snapshot_lock))
    await asyncio.sleep(0.05)
    await worker.close()
    order.append("closed")
    await task
    assert order == ["snapshot start", "snapshot end", "closed"]


async def test_a_job_cancelled_by_a_stopping_worker_ends_quietly(caplog):
    async def long_job():
        await asyncio.sleep(3600)

    task = asyncio.create_task(schedule.stoppable(long_job)())
    await asyncio.sleep(0.01)
    task.cancel()
    with caplog.at_level(logging.INFO, logger="reserves.jobs.schedule"):
        await task  # no CancelledError escapes into APScheduler's log
    assert "cancelled: the worker is stopping" in caplog.text


async def test_each_stored_snapshot_starts_the_evidence_job_at_once(tmp_path):
    """Evidence is collected for the newest attestation: at the snapshot's own interval its tick
    fell just before the next snapshot, so the newest one almost never had any (review, 58 of 60
    samples 404)."""
    worker = light_worker(tmp_path, snapshot_every=10)
    woken = []
    worker.webhooks = SimpleNamespace(wake=lambda: woken.append(1))  # the webhook dispatcher, too
    scheduler = schedule.build_scheduler(worker)
    scheduler.start(paused=True)
    try:
        evidence = scheduler.get_job("evidence")
        assert evidence.next_run_time - datetime.now(timezone.utc) > timedelta(seconds=20)
        after = scheduler.get_job("snapshot").func.__wrapped__.args[3]
        await after()
        soon = scheduler.get_job("evidence").next_run_time - datetime.now(timezone.utc)
        assert soon < timedelta(seconds=1)
        assert scheduler.get_job("evidence").trigger.interval == timedelta(seconds=10)
        assert woken  # the attestation's events go out at once, not at the dispatcher's next poll
    finally:
        scheduler.shutdown(wait=False)


async def test_stopping_the_scheduler_cancels_its_running_jobs_and_waits_for_them():
    # `reserves worker` stops its scheduler before it closes the database: no job may still be in a
    # session then (its rollback, cancelled by the loop's end, was logged as an error).
    scheduler = schedule.JobScheduler()
    started, ended = asyncio.Event(), []

    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            ended.append(True)

    scheduler.add_job(schedule.stoppable(slow, scheduler.running_jobs), "date")
    scheduler.start()
    await asyncio.wait_for(started.wait(), 10)
    assert len(scheduler.running_jobs) == 1
    await scheduler.stop()
    assert ended == [True] and not scheduler.running_jobs


def priced_worker(tmp_path):
    """A light worker with a price source and a provider: its first snapshot waits for its first price round."""
    worker = light_worker(tmp_path)
    s = worker.settings
    prices = replace(s.prices, interval_seconds=0.2, sources=(SimpleNamespace(name="cb"),))
    worker.settings = replace(s, prices=prices, providers=(SimpleNamespace(name="lp"),))
    worker.sources = SimpleNamespace(price=[SimpleNamespace(adapter=object())])
    return worker


async def test_the_first_snapshot_waits_for_the_first_price_round(tmp_path, monkeypatch):
    order: list[str] = []

    async def snapshot(*_a, **_kw):
        order.append("snapshot")

    async def prices(*_a, **_kw):
        order.append("prices")

    monkeypatch.setattr(schedule, "snapshot_job", snapshot)
    monkeypatch.setattr(schedule, "price_job", prices)
    scheduler = schedule.build_scheduler(priced_worker(tmp_path))
    first = asyncio.create_task(scheduler.get_job("snapshot").func.__wrapped__())
    await asyncio.sleep(0.05)
    assert order == [] and not first.done()  # waiting for the prices
    await scheduler.get_job("prices").func.__wrapped__()
    await asyncio.wait_for(first, 1)
    await scheduler.get_job("snapshot").func.__wrapped__()  # later snapshots do not wait
    assert order == ["prices", "snapshot", "snapshot"]


async def test_without_a_price_round_the_first_snapshot_goes_ahead_after_its_deadline(tmp_path, monkeypatch, caplog):
    order: list[str] = []

    async def snapshot(*_a, **_kw):
        order.append("snapshot")

    monkeypatch.setattr(schedule, "snapshot_job", snapshot)
    monkeypatch.setattr(schedule, "FIRST_PRICE_SLACK_SECONDS", 0.0)
    scheduler = schedule.build_scheduler(priced_worker(tmp_path))
    await asyncio.wait_for(scheduler.get_job("snapshot").func.__wrapped__(), 2)  # 0.2 s: the round's deadline
    assert order == ["snapshot"] and "no price round within" in caplog.text
