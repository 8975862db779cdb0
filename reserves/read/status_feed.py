"""Changes of the published status, newest first: what GET /feed.atom lists.

A change is an attestation whose signed status differs from the one signed before it (the first
attestation changes it from none). The engine writes one `status_changed` event for each into the
outbox, in the attestation's own transaction, so the outbox holds every change since it exists
(migration 0008) and one read of its (kind, id) index gives the newest ones. A status that is
`stale` only because no new attestation came is not a published change and is not listed: the
dashboard and the badge say it, at the time they are asked.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from reserves.storage import events as events_repo
from reserves.storage import repository as repo
from reserves.storage.db import Database

log = logging.getLogger(__name__)

KIND = "status_changed"
MAX_CHANGES = 50


@dataclass(frozen=True)
class StatusChange:
    """One change of the published status, made by attestation `attestation_id` issued `at` (UTC)."""

    event_id: int
    attestation_id: str
    sequence: int
    at: datetime
    from_status: str | None  # None for the first attestation
    to_status: str
    ratio_bp: str | None  # the new attestation's ratio (None without one: a stale reading)
    reason: str | None  # the engine's words: "healthy -> warning: ratio 9980 bp is below ..."


@dataclass(frozen=True)
class StatusChanges:
    """The newest changes, newest first, and the chain's first attestation id (None before it)."""

    first_attestation_id: str | None
    changes: list[StatusChange]


def status_change(row) -> StatusChange | None:
    """An outbox row as a change; None (logged) for one this code cannot read."""
    try:
        payload = json.loads(row.payload)
        to = payload["to"]
        before, ratio, reason = payload.get("from"), payload.get("ratio_bp"), payload.get("reason")
    except (ValueError, TypeError, KeyError, AttributeError):
        log.warning("status feed: event %s has no readable payload; left out", row.id)
        return None
    if row.attestation_id is None or row.sequence is None or not isinstance(to, str):
        log.warning("status feed: event %s names no attestation or status; left out", row.id)
        return None
    return StatusChange(
        event_id=int(row.id),
        attestation_id=row.attestation_id,
        sequence=int(row.sequence),
        at=repo.utc(row.at),
        from_status=before if isinstance(before, str) else None,
        to_status=to,
        ratio_bp=None if ratio is None else str(ratio),
        reason=reason if isinstance(reason, str) else None,
    )


async def status_changes(db: Database, limit: int = MAX_CHANGES) -> StatusChanges:
    """The newest `limit` changes (two indexed reads, bounded by `limit`)."""
    async with db.sessions() as session:
        rows = await events_repo.page(session, kind=KIND, before_id=None, limit=limit)
        first = await repo.first_attestation_id(session)
    changes = [c for c in (status_change(r) for r in rows) if c is not None]
    return StatusChanges(first, changes)
