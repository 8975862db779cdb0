"""The engine's event outbox: events written with the attestation that caused them, read newest first."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import col, select

from reserves.storage.engine_models import EngineEventRow

KINDS = ("status_changed", "flow_flagged", "key_rotated", "guardian_set_changed", "attestation_final")


async def add(session, *, kind: str, at: datetime, sequence: int, attestation_id: str, payload: dict) -> None:
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
    stmt = select(EngineEventRow).order_by(col(EngineEventRow.id).desc()).limit(limit)
    if kind is not None:
        stmt = stmt.where(EngineEventRow.kind == kind)
    if before_id is not None:
        stmt = stmt.where(col(EngineEventRow.id) < before_id)
    return list((await session.exec(stmt)).all())
