"""Jobs and their scheduler: one snapshot at a time, the first at once, and a job that never dies."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from reserves.jobs import schedule as jobs
from reserves.errors import StorageError
from reserves.runtime import Runtime
from reserves.settings.load import default_settings


def light_runtime(tmp_path, *, devnet=None, snapshot_every: float = 17.0) -> Runtime:
    """Settings only, no database, key or devnet: the scheduler reads nothing else."""
    settings = default_settings(tmp_path)
    settings = replace(settings, schedule=replace(settings.schedule, snapshot_interval_seconds=snapshot_every))
    return Runtime(settings, devnet=devnet)


def raising_take_snapshot(exc: Exception):
    """Test double for reserves.snapshot.take.take_snapshot: fails with `exc` and counts its calls."""
    async def take_snapshot(rt, **_kw):
        take_snapshot.calls += 1
        raise exc
    take_snapshot.calls = 0
    return take_snapshot


def test_snapshot_job_runs_alone_coalesced_and_first_at_once(tmp_path):
    rt = light_runtime(tmp_path)
    scheduler = jobs.build_scheduler(rt)
    job = scheduler.get_job("snapshot")
    # Every job is wrapped so that only the leading replica runs it (reserves.jobs.leader).
    assert job.func.__wrapped__ is jobs.snapshot_job and job.args == (rt,)
    # A slow snapshot must not overlap the next, and missed runs after a stall collapse into one.
    assert job.max_instances == 1 and job.coalesce is True
    assert job.trigger.interval == timedelta(seconds=17)
    # The portal publishes its first attestation at start, not one interval later.
    assert abs(job.next_run_time - datetime.now(timezone.utc)) < timedelta(seconds=5)
    assert [j.id for j in scheduler.get_jobs()] == ["snapshot", "evidence", "proofs-prune", "supply-monitor", "reconcile",
                                                    "anchor", "series-retention"]  # no devnet, no tick job


def test_devnet_tick_job_only_with_a_devnet(tmp_path):
    rt = light_runtime(tmp_path, devnet=object())  # a stand-in: build_scheduler only asks whether it is set
    scheduler = jobs.build_scheduler(rt)
    tick = scheduler.get_job("devnet-tick")
    assert tick.func.__wrapped__ is jobs.devnet_tick_job and tick.max_instances == 1 and tick.coalesce is True
    assert tick.trigger.interval == timedelta(seconds=rt.settings.devnet.block_interval_seconds)
    assert {j.id for j in scheduler.get_jobs()} == {"snapshot", "devnet-tick", "evidence", "devnet-proofs", "proofs-prune",
                                                    "supply-monitor", "reconcile", "anchor", "series-retention"}


@pytest.mark.parametrize("exc, level, message", [
    (StorageError("database is locked"), logging.WARNING, "snapshot skipped: database is locked"),
    (RuntimeError("a bug"), logging.ERROR, "snapshot failed"),
])
async def test_snapshot_job_logs_and_survives_any_failure(tmp_path, monkeypatch, caplog, exc, level, message):
    double = raising_take_snapshot(exc)
    monkeypatch.setattr(jobs, "take_snapshot", double)
    rt = light_runtime(tmp_path)
    with caplog.at_level(logging.WARNING, logger="reserves.jobs.schedule"):
        for _ in range(2):  # and the next interval runs again as if nothing happened
            await jobs.snapshot_job(rt)
    assert double.calls == 2
    records = [r for r in caplog.records if r.name == "reserves.jobs.schedule"]
    assert [(r.levelno, r.getMessage()) for r in records] == [(level, message)] * 2
    # An unexpected error keeps its traceback in the log; an expected one is a one-line warning.
    assert all((r.exc_info is not None) == (level == logging.ERROR) for r in records)


async def test_close_waits_for_a_running_snapshot(tmp_path, monkeypatch):
    """Shutdown must not pull the database from under a snapshot that is still writing."""
    import asyncio

    rt = light_runtime(tmp_path)
    order = []

    async def slow_snapshot(_rt, **_kw):  # test double: a snapshot that takes a moment
        order.append("snapshot start")
        await asyncio.sleep(0.3)
        order.append("snapshot end")

    monkeypatch.setattr(jobs, "take_snapshot", slow_snapshot)
    task = asyncio.create_task(jobs.snapshot_job(rt))
    await asyncio.sleep(0.05)
    await rt.close()
    order.append("closed")
    await task
    assert order == ["snapshot start", "snapshot end", "closed"]
    await jobs.snapshot_job(rt)  # after close: does nothing
    assert order[-1] == "closed"
