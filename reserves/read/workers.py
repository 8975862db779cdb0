"""The workers as the web role sees them: from their status rows, never from a shared field."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from reserves.storage import worker_repository
from reserves.storage.repository import utc
from reserves.storage.worker_models import WorkerStatusRow


async def live_workers(session, now: datetime | None = None) -> list[WorkerStatusRow]:
    """Workers that sent a heartbeat within SILENT_AFTER, leaders first."""
    now = now or datetime.now(timezone.utc)
    return await worker_repository.beating_since(session, now - worker_repository.SILENT_AFTER)


def announced_keys(rows: list[WorkerStatusRow]) -> list[tuple[str, str]]:
    """(pubkey, key_id) of the engine keys live workers sign with, each once, leaders' first."""
    seen: dict[str, str] = {}
    for row in rows:
        seen.setdefault(row.engine_pubkey, row.engine_key_id)
    return list(seen.items())


def worker_summary(rows: list[WorkerStatusRow], now: datetime) -> dict[str, Any]:
    """What /healthz says of the workers: the leading one (its identity and last refused snapshot)
    and every live one with the age of its heartbeat."""
    leader = next((r for r in rows if r.leading), None)
    error = None if leader is None or leader.last_snapshot_error is None else json.loads(leader.last_snapshot_error)
    return {
        "replica": None if leader is None else leader.replica,
        "leader": leader is not None,
        "last_snapshot_error": error,
        "workers": [
            {
                "replica": r.replica,
                "leading": r.leading,
                "heartbeat_age_seconds": max(0, int((now - utc(r.heartbeat_at)).total_seconds())),
            }
            for r in rows
        ],
    }
