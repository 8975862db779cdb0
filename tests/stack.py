"""Helpers for tests of how the worker's scheduler wires a job: which parts it hands it, and that only a
leading worker runs it (tests.world runs no scheduler; reserves.jobs.schedule attaches the triggers)."""

from __future__ import annotations

import asyncio
from functools import partial
from types import SimpleNamespace
from typing import Any

from reserves.jobs.schedule import build_scheduler
from reserves.settings.model import Settings


def parts(settings: Settings, db: Any, *, leading: bool = True, anchorer: Any = None) -> SimpleNamespace:
    """Stand-in of a started reserves.worker.Worker: the fields build_scheduler reads, nothing opened."""
    return SimpleNamespace(
        settings=settings,
        db=db,
        leadership=SimpleNamespace(is_leader=lambda: leading),
        status=None,
        context=SimpleNamespace(settings=settings),
        snapshot_lock=asyncio.Lock(),
        devnet_guardians=[],
        anchorer=anchorer,
        sources=SimpleNamespace(price=[]),  # the price job's adapters (none opened)
    )


def scheduled(worker: Any, job_id: str) -> tuple[Any, partial]:
    """(the callable the scheduler runs for `job_id`, the job with its arguments inside it)."""
    job = build_scheduler(worker).get_job(job_id)
    assert job is not None, f"no scheduled job {job_id!r}"
    return job.func, job.func.__wrapped__
