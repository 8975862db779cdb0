"""Pruning of public challenges that no longer prove anything (older than the freshness window)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from reserves.runtime import Runtime
from reserves.storage import proofs_repository as repo

log = logging.getLogger(__name__)
PRUNE_INTERVAL_SECONDS = 3600


async def prune_public_challenges(rt: Runtime, *, now: datetime | None = None) -> int:
    """Delete public challenges (and their proofs) older than proofs.max_age_seconds; returns the count."""
    if rt.db is None or rt.closing:
        return 0
    before = (now or datetime.now(timezone.utc)) - timedelta(seconds=rt.settings.proofs.max_age_seconds)
    async with rt.db.sessions() as session:
        async with session.begin():
            gone = await repo.prune_public(session, before)
    if gone:
        log.info("pruned %d public challenges older than %s", gone, before.isoformat())
    return gone


async def prune_job(rt: Runtime) -> None:
    """The scheduled form: failures are logged, the next run tries again."""
    try:
        await prune_public_challenges(rt)
    except Exception:
        log.exception("pruning public challenges failed")
