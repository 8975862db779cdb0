"""What the monitor found that must stop a deployment from counting (read by the engine)."""

from __future__ import annotations

from reserves.storage.db import Database


async def blocking_issues(db: Database) -> dict[str, tuple[str, str]]:
    """Deployment name -> (error code, detail) for every deployment with an unresolved monitor issue.

    The engine turns each into a failed deployment entry, so the status is `stale`, never healthy.
    CONTRACT STUB: filled in by the monitor work (issue 4); until then nothing blocks.
    """
    return {}
