"""The monitor's SQL: checkpoints, replayed events, recent block hashes and issues, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, delete, func, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from reserves.storage import events as events_repo
from reserves.storage.monitor_models import MonitorBlockRow, MonitorCheckpointRow, MonitorIssueRow
from reserves.storage.supply_models import ZERO_ADDRESS, SupplyEventRow

if TYPE_CHECKING:  # annotations only: the web role reads these tables without importing the log reader (web3)
    from chains.evm.logs import BlockHeader
    from chains.evm.logs_decode import TokenLog

# The kind of deployment the monitor replays: its rows exist for these deployments only.
EVM_KIND = "evm-erc20"

# Block hashes kept per deployment for reorg detection (deeper reorgs replay from start_block).
KEEP_BLOCKS = 256
_INSERT_CHUNK = 2000


def now() -> datetime:
    return datetime.now(timezone.utc)


def supply_effect(kind: str, from_address: str | None, to_address: str | None, amount: int) -> int:
    """What one event does to the supply: + for a Transfer from 0x0, - for one to 0x0, else 0.

    Mint/Burn rows are metadata: the Transfer logs alone count, so no event is counted twice.
    """
    if kind != "transfer":
        return 0
    return (amount if from_address == ZERO_ADDRESS else 0) - (amount if to_address == ZERO_ADDRESS else 0)


async def get_checkpoint(session: AsyncSession, deployment: str) -> MonitorCheckpointRow | None:
    return await session.get(MonitorCheckpointRow, deployment)


async def reset_deployment(session: AsyncSession, deployment: str) -> None:
    """Forget everything replayed for `deployment` (events, hashes, checkpoint); issues stay."""
    for model in (SupplyEventRow, MonitorBlockRow, MonitorCheckpointRow):
        await session.exec(delete(model).where(col(model.deployment) == deployment))


async def insert_events(session: AsyncSession, deployment: str, logs: list[TokenLog]) -> None:
    """Insert decoded logs as supply_event rows (the primary key refuses a duplicate)."""
    # vars() rather than dataclasses.asdict: asdict deep-copies every field (a third of the replay time)
    rows = [{**vars(log), "deployment": deployment} for log in logs]
    conn = await session.connection()
    for i in range(0, len(rows), _INSERT_CHUNK):
        await conn.execute(insert(SupplyEventRow), rows[i : i + _INSERT_CHUNK])


async def store_headers(session: AsyncSession, deployment: str, headers: list[BlockHeader]) -> None:
    """Record the hashes of replayed blocks and drop those older than the newest KEEP_BLOCKS."""
    if not headers:
        return
    numbers = [h.number for h in headers]
    await session.exec(
        delete(MonitorBlockRow).where(
            col(MonitorBlockRow.deployment) == deployment, col(MonitorBlockRow.block_number).in_(numbers)
        )
    )
    conn = await session.connection()
    await conn.execute(
        insert(MonitorBlockRow),
        [
            {"deployment": deployment, "block_number": h.number, "block_hash": h.hash, "parent_hash": h.parent_hash}
            for h in headers
        ],
    )
    await session.exec(
        delete(MonitorBlockRow).where(
            col(MonitorBlockRow.deployment) == deployment,
            col(MonitorBlockRow.block_number) <= max(numbers) - KEEP_BLOCKS,
        )
    )


async def stored_blocks(session: AsyncSession, deployment: str) -> list[MonitorBlockRow]:
    """Stored block hashes, newest first."""
    result = await session.exec(
        select(MonitorBlockRow)
        .where(MonitorBlockRow.deployment == deployment)
        .order_by(col(MonitorBlockRow.block_number).desc())
    )
    return list(result.all())


async def drop_above(session: AsyncSession, deployment: str, fork: int) -> tuple[int, int]:
    """Delete events and hashes of blocks above `fork`; returns (events dropped, their supply effect)."""
    result = await session.exec(
        select(SupplyEventRow).where(SupplyEventRow.deployment == deployment, SupplyEventRow.block_number > fork)
    )
    rows = list(result.all())
    effect = sum(supply_effect(r.kind, r.from_address, r.to_address, r.amount) for r in rows)
    for model in (SupplyEventRow, MonitorBlockRow):
        await session.exec(delete(model).where(col(model.deployment) == deployment, col(model.block_number) > fork))
    return len(rows), effect


async def open_issue(session: AsyncSession, issue: MonitorIssueRow) -> None:
    """Record an issue; an open one of the same deployment and kind is updated instead of doubled.

    A reorg (informational) is always a new row, resolved at once.
    """
    if issue.resolved_at is None:
        result = await session.exec(
            select(MonitorIssueRow)
            .where(
                MonitorIssueRow.deployment == issue.deployment,
                MonitorIssueRow.kind == issue.kind,
                col(MonitorIssueRow.resolved_at).is_(None),
            )
            .limit(1)
        )
        existing = result.first()
        if existing is not None:
            for key in ("chain_id", "block_number", "block_hash", "expected", "actual", "detail"):
                setattr(existing, key, getattr(issue, key))
            session.add(existing)
            return
    session.add(issue)
    if issue.resolved_at is None:
        # A newly opened blocking issue is an event (supply.mismatch, ...), in this same transaction.
        await events_repo.add(
            session,
            kind="monitor_issue",
            at=now(),
            payload={
                "deployment": issue.deployment,
                "kind": issue.kind,
                "chain_id": issue.chain_id,
                "block_number": issue.block_number,
                "expected": issue.expected,
                "actual": issue.actual,
                "detail": (issue.detail or "")[:500],
            },
        )


async def resolve_issues(session: AsyncSession, deployment: str) -> int:
    """Mark every open issue of `deployment` resolved now; returns how many."""
    result = await session.exec(
        update(MonitorIssueRow)
        .where(col(MonitorIssueRow.deployment) == deployment, col(MonitorIssueRow.resolved_at).is_(None))
        .values(resolved_at=now())
    )
    return int(result.rowcount or 0)


async def open_issues(session: AsyncSession) -> list[MonitorIssueRow]:
    """Every unresolved issue, oldest first."""
    result = await session.exec(
        select(MonitorIssueRow).where(col(MonitorIssueRow.resolved_at).is_(None)).order_by(col(MonitorIssueRow.id))
    )
    return list(result.all())


async def list_issues(
    session: AsyncSession, *, deployment: str | None, open_only: bool, kind: str | None, limit: int, offset: int
) -> tuple[list[MonitorIssueRow], int]:
    """A page of issues, newest first, and the total matching."""
    conds: list[ColumnElement[bool]] = []
    if deployment is not None:
        conds.append(col(MonitorIssueRow.deployment) == deployment)
    if kind is not None:
        conds.append(col(MonitorIssueRow.kind) == kind)
    if open_only:
        conds.append(col(MonitorIssueRow.resolved_at).is_(None))
    total = (await session.exec(select(func.count()).select_from(MonitorIssueRow).where(*conds))).first()
    result = await session.exec(
        select(MonitorIssueRow).where(*conds).order_by(col(MonitorIssueRow.id).desc()).offset(offset).limit(limit)
    )
    return list(result.all()), int(total or 0)


async def all_checkpoints(session: AsyncSession) -> list[MonitorCheckpointRow]:
    result = await session.exec(select(MonitorCheckpointRow).order_by(MonitorCheckpointRow.deployment))
    return list(result.all())
