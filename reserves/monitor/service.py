"""Read models of the supply monitor for the API and the dashboard (from the database only, never a chain)."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import col, select

from reserves.errors import InvalidInput
from reserves.monitor import store
from reserves.storage.db import Database
from reserves.storage.monitor_models import ISSUE_KINDS, MonitorIssueRow
from reserves.storage.repository import utc

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
MAX_OFFSET = 10_000_000
RECENT_REORGS = 5
_UINT = re.compile(r"[0-9]{1,9}")


def bad(code: str, detail: str) -> InvalidInput:
    """An InvalidInput (400) carrying a specific machine code."""
    exc = InvalidInput(detail)
    exc.code = code
    return exc


def _int_param(value: str | None, name: str, default: int, high: int) -> int:
    if value is None:
        return default
    if not isinstance(value, str) or not _UINT.fullmatch(value) or int(value) > high:
        raise bad(f"invalid_{name}", f"{name} must be an integer between {0 if name == 'offset' else 1} and {high}")
    if name == "limit" and int(value) < 1:
        raise bad("invalid_limit", f"limit must be an integer between 1 and {high}")
    return int(value)


def _time(dt: Any) -> str | None:
    return None if dt is None else utc(dt).isoformat().replace("+00:00", "Z")


def issue_view(row: MonitorIssueRow) -> dict[str, Any]:
    """One issue as JSON: amounts and hashes as strings, times in UTC ISO 8601."""
    return {
        "id": row.id,
        "deployment": row.deployment,
        "chain_id": row.chain_id,
        "kind": row.kind,
        "block_number": row.block_number,
        "block_hash": row.block_hash,
        "expected": row.expected,
        "actual": row.actual,
        "depth": row.depth,
        "events_dropped": row.events_dropped,
        "detail": row.detail,
        "detected_at": _time(row.detected_at),
        "resolved_at": _time(row.resolved_at),
        "open": row.resolved_at is None,
    }


class MonitorService:
    """Monitor progress and discrepancies of the configured EVM deployments (`deployments`: names)."""

    def __init__(self, db: Database, deployments: list[str]) -> None:
        self.db, self.deployments = db, deployments

    async def overview(self) -> dict[str, Any]:
        """Per deployment: chain, contract, next block, target, lag, running supply, last check, issues."""
        async with self.db.sessions() as session:
            checkpoints = {cp.deployment: cp for cp in await store.all_checkpoints(session)}
            open_ = await store.open_issues(session)
            reorgs = list(
                (
                    await session.exec(
                        select(MonitorIssueRow)
                        .where(MonitorIssueRow.kind == "reorg")
                        .order_by(col(MonitorIssueRow.id).desc())
                        .limit(200)
                    )
                ).all()
            )
        out = []
        for name in self.deployments:
            cp = checkpoints.get(name)
            mine = [issue_view(i) for i in open_ if i.deployment == name]
            recent = [issue_view(i) for i in reorgs if i.deployment == name][:RECENT_REORGS]
            out.append(self._deployment(name, cp, mine, recent))
        return {"deployments": out, "open_issues": sum(len(d["open_issues"]) for d in out)}

    @staticmethod
    def _deployment(name: str, cp: Any, open_issues: list, reorgs: list) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "deployment": name,
            "started": cp is not None,
            "open_issues": open_issues,
            "recent_reorgs": reorgs,
            "status": "stale" if open_issues else "ok",
        }
        if cp is None:
            return entry
        last = cp.next_block - 1
        entry.update(
            {
                "chain_id": cp.chain_id,
                "contract": cp.contract,
                "start_block": cp.start_block,
                "next_block": cp.next_block,
                "target": cp.last_target,
                "lag": None if cp.last_target is None else max(0, cp.last_target - last),
                "running_supply": str(cp.running_supply),
                "base_supply": str(cp.base_supply),
                "checked_supply": None if cp.checked_supply is None else str(cp.checked_supply),
                "checked_block": cp.checked_block,
                "match": cp.checked_match,
                "events": cp.events_count,
                "range_size": cp.range_size,
                "updated_at": _time(cp.updated_at),
            }
        )
        return entry

    async def issues(
        self,
        *,
        deployment: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        limit: str | None = None,
        offset: str | None = None,
    ) -> dict[str, Any]:
        """A page of issues, newest first. Bad parameters raise InvalidInput with their own code."""
        if deployment is not None and deployment not in self.deployments:
            raise bad("unknown_deployment", "deployment is not a configured EVM deployment")
        if kind is not None and kind not in ISSUE_KINDS:
            raise bad("invalid_kind", f"kind must be one of {', '.join(ISSUE_KINDS)}")
        if status is not None and status not in ("open", "all"):
            raise bad("invalid_status", "status must be 'open' or 'all'")
        n = _int_param(limit, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        skip = _int_param(offset, "offset", 0, MAX_OFFSET)
        async with self.db.sessions() as session:
            rows, total = await store.list_issues(
                session, deployment=deployment, open_only=status == "open", kind=kind, limit=n, offset=skip
            )
        return {"issues": [issue_view(r) for r in rows], "total": total, "limit": n, "offset": skip}
