"""The SQL of worker status rows: written by each worker, read by the web role."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from reserves.storage.worker_models import WorkerStatusRow

# A worker silent for this long (four heartbeats missed) is gone: its row no longer counts, and it
# is pruned after ten times as long.
SILENT_AFTER = timedelta(seconds=20)


async def save(session: AsyncSession, row: WorkerStatusRow) -> None:
    """Insert or replace the row of `row.replica` in the caller's transaction."""
    await session.merge(row)


async def get(session: AsyncSession, replica: str) -> WorkerStatusRow | None:
    return await session.get(WorkerStatusRow, replica)


async def remove(session: AsyncSession, replica: str) -> None:
    await session.exec(delete(WorkerStatusRow).where(col(WorkerStatusRow.replica) == replica))


async def beating_since(session: AsyncSession, since: datetime, *, limit: int = 50) -> list[WorkerStatusRow]:
    """Workers whose last heartbeat is at or after `since`, leaders first, newest heartbeat first."""
    stmt = (
        select(WorkerStatusRow)
        .where(WorkerStatusRow.heartbeat_at >= since)
        .order_by(col(WorkerStatusRow.leading).desc(), col(WorkerStatusRow.heartbeat_at).desc())
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


async def prune_older_than(session: AsyncSession, before: datetime) -> int:
    """Forget workers silent since before `before` (crashed ones never say goodbye)."""
    result = await session.exec(delete(WorkerStatusRow).where(col(WorkerStatusRow.heartbeat_at) < before))
    return result.rowcount or 0
