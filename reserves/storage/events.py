"""The engine's event outbox: events written with the attestation that caused them, read newest first."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, text
from sqlmodel import col, select

from reserves.storage.engine_models import EngineEventRow

KINDS = (
    "attestation_published",
    "attestation_final",
    "status_changed",
    "source_stale",
    "source_recovered",
    "reserve_set_changed",
    "flow_flagged",
    "key_rotated",
    "guardian_set_changed",
    "monitor_issue",
    "reconciliation_exception",
    "proof_expiring",
    "tier_band_crossed",
    "contract_changed",
    "provider_state_changed",
    "webhook_disabled",
)
# The operator's own events: in the outbox and the audit log, never in a public answer or stream.
OPERATOR_KINDS = frozenset({"webhook_disabled"})
PUBLIC_KINDS = tuple(k for k in KINDS if k not in OPERATOR_KINDS)


async def add(
    session,
    *,
    kind: str,
    at: datetime,
    payload: dict,
    sequence: int | None = None,
    attestation_id: str | None = None,
) -> None:
    """Write one event in the caller's transaction: it commits with the change that caused it, or not at all."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    session.add(
        EngineEventRow(
            at=at,
            kind=kind,
            sequence=sequence,
            attestation_id=attestation_id,
            payload=json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
        )
    )
    await session.flush()


async def page(session, *, kind: str | None, before_id: int | None, limit: int) -> list[EngineEventRow]:
    """Public events, newest first (operator-only kinds left out)."""
    stmt = (
        select(EngineEventRow)
        .where(col(EngineEventRow.kind).not_in(OPERATOR_KINDS))
        .order_by(col(EngineEventRow.id).desc())
        .limit(limit)
    )
    if kind is not None:
        stmt = stmt.where(EngineEventRow.kind == kind)
    if before_id is not None:
        stmt = stmt.where(col(EngineEventRow.id) < before_id)
    return list((await session.exec(stmt)).all())


async def newest_id(session) -> int:
    """The id of the newest stored event; 0 when there is none."""
    value = (await session.exec(select(func.max(EngineEventRow.id)))).one()
    return int(value or 0)


async def after(session, *, after_id: int, upto_id: int | None = None, limit: int) -> list[EngineEventRow]:
    """Events with `after_id` < id (<= `upto_id` when given), oldest first: what a stream client missed."""
    stmt = select(EngineEventRow).where(col(EngineEventRow.id) > after_id).order_by(col(EngineEventRow.id)).limit(limit)
    if upto_id is not None:
        stmt = stmt.where(col(EngineEventRow.id) <= upto_id)
    return list((await session.exec(stmt)).all())


async def ids_in(session, *, after_id: int, upto_id: int) -> list[int]:
    """The stored ids in (`after_id`, `upto_id`], ascending (an index-only read)."""
    stmt = (
        select(EngineEventRow.id)
        .where(col(EngineEventRow.id) > after_id, col(EngineEventRow.id) <= upto_id)
        .order_by(col(EngineEventRow.id))
    )
    return [int(i) for i in (await session.exec(stmt)).all() if i is not None]


async def running_xids(session) -> frozenset[int] | None:
    """PostgreSQL: the transactions with an assigned xid in progress now (every transaction that
    inserted an event has one), from `pg_stat_activity.backend_xid`; None on a database that runs
    one writer at a time (SQLite).

    Not `pg_current_snapshot()`'s in-progress list: a transaction whose xid is at or above the
    snapshot's xmax is running too but is not listed there (review: a late event was skipped)."""
    conn = await session.connection()
    if conn.dialect.name != "postgresql":
        return None
    rows = await conn.execute(
        text("SELECT backend_xid::text FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()")
    )
    return frozenset(int(x) for (x,) in rows.all())
