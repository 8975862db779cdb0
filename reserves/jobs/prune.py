"""Pruning of public challenges: past the freshness window, past their ttl, and beyond a cap.

Every allowed `POST /api/v1/challenges` stores a challenge and the online signer's proofs of it
(about 3 KB). The status only ever reads the newest valid proof of each address and of each set of
signing keys (`proofs_repository.kept_challenges`); every other public challenge is kept until its
ttl (`challenge_ttl_seconds`) ends, and at most `max_public_challenges` of them are kept at all:
beyond that, the oldest go first. Operator challenges and their proofs are the audit record and are
never deleted.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from reserves.storage import proofs_repository as repo
from reserves.storage.db import Database

log = logging.getLogger(__name__)
PRUNE_INTERVAL_SECONDS = 300
DEFAULT_MAX_PUBLIC = 10_000
_BATCH = 1000


async def prune_public_challenges(
    db: Database,
    max_age_seconds: int,
    *,
    now: datetime | None = None,
    max_public: int = DEFAULT_MAX_PUBLIC,
) -> int:
    """Delete public challenges (and their proofs) that prove nothing more; returns the count.

    Older than `max_age_seconds`: always. Past their ttl, or the oldest beyond `max_public`:
    unless one holds the newest valid proof of an address or of a set of signing keys.
    """
    now = now or datetime.now(timezone.utc)
    before = now - timedelta(seconds=max_age_seconds)
    async with db.sessions() as session:
        async with session.begin():
            gone = await repo.prune_public(session, before)
    async with db.sessions() as session:
        keep = await repo.kept_challenges(session)
    expired = await _delete_oldest(db, keep, expired_by=now)
    async with db.sessions() as session:
        excess = await repo.count_public(session) - max_public
    capped = await _delete_oldest(db, keep, most=excess) if excess > 0 else 0
    if gone or expired or capped:
        log.info(
            "pruned public challenges: %d past the freshness window, %d past their ttl, %d beyond the cap of %d",
            gone,
            expired,
            capped,
            max_public,
        )
    return gone + expired + capped


async def _delete_oldest(
    db: Database, keep: set[str], *, expired_by: datetime | None = None, most: int | None = None
) -> int:
    """Delete public challenges oldest first (not in `keep`), in batches: all expired ones, or `most` of them."""
    gone = 0
    while most is None or gone < most:
        limit = _BATCH if most is None else min(_BATCH, most - gone)
        async with db.sessions() as session:
            async with session.begin():
                ids = await repo.oldest_public(session, limit=limit, keep=keep, expired_by=expired_by)
                gone += await repo.delete_challenges(session, ids)
        if len(ids) < limit:
            break
    return gone


async def prune_job(db: Database, max_age_seconds: int, max_public: int = DEFAULT_MAX_PUBLIC) -> None:
    """The scheduled form: failures are logged, the next run tries again."""
    try:
        await prune_public_challenges(db, max_age_seconds, max_public=max_public)
    except Exception:
        log.exception("pruning public challenges failed")
