"""What the monitor found that must stop a deployment from counting (read by the engine)."""

from __future__ import annotations

from reserves.monitor import store
from reserves.storage.db import Database

ISSUE_CODES = {
    "supply_mismatch": "monitor_supply_mismatch",
    "bad_logs": "monitor_bad_logs",
    "lying_hash": "monitor_lying_hash",
    "rpc_error": "monitor_rpc_error",
}


async def blocking_issues(db: Database) -> dict[str, tuple[str, str]]:
    """Deployment name -> (error code, detail) for every deployment with an unresolved monitor issue.

    The engine turns each into a failed deployment entry, so the status is `stale`, never healthy.
    With several open issues the oldest is reported. Resolved ones (reorgs, matched supplies) never block.
    """
    async with db.sessions() as session:
        issues = await store.open_issues(session)
    out: dict[str, tuple[str, str]] = {}
    for issue in issues:
        where = f" (block {issue.block_number})" if issue.block_number is not None else ""
        out.setdefault(
            issue.deployment,
            (ISSUE_CODES.get(issue.kind, f"monitor_{issue.kind}"), f"{issue.kind}{where}: {issue.detail}"),
        )
    return out
