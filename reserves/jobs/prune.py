"""Pruning of public challenges that no longer prove anything (older than the freshness window)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from reserves.storage import proofs_repository as repo
from reserves.storage.db import Database

log = logging.getLogger(__name__)
PRUNE_INTERVAL_SECONDS = 3600


async def prune_public_challenges(db: Database, max_age_seconds: int, *, now: datetime | None = None) -> int:
    """Delete public challenges (and their proofs) older than `max_age_seconds` ([proofs]); returns the count."""
    before = (now or datetime.now(timezone.utc)) - timedelta(seconds=max_age_seconds)
    async with db.sessions() as session:
        async with session.begin():
            gone = await repo.prune_public(session, before)
    if gone:
        log.info("pruned %d public challenges older than %s", gone, before.isoformat())
    return gone


async def prune_job(db: Database, max_age_seconds: int) -> None:
    """The scheduled form: failures are logged, the next run tries again."""
    try:
        await prune_public_challenges(db, max_age_seconds)
    except Exception:
        log.exception("pruning public challenges failed")
