"""SQL of the provider member: stored in the snapshot's transaction, read newest first."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import col, select

from reserves.storage.provider_models import ProviderMemberRow


async def add(session, *, attestation_id: str, sequence: int, issued_at: datetime, member: dict) -> None:
    session.add(
        ProviderMemberRow(
            attestation_id=attestation_id,
            sequence=sequence,
            issued_at=issued_at,
            member=json.dumps(member, separators=(",", ":"), ensure_ascii=False),
        )
    )
    await session.flush()


async def of_attestation(session, attestation_id: str) -> dict | None:
    """The member stored with attestation `attestation_id`, None when it has none."""
    row = await session.get(ProviderMemberRow, attestation_id)
    return None if row is None else json.loads(row.member)


async def latest(session) -> tuple[ProviderMemberRow, dict] | None:
    """The newest stored member with its row (attestation id, sequence, issued_at), None before the first."""
    stmt = select(ProviderMemberRow).order_by(col(ProviderMemberRow.sequence).desc()).limit(1)
    row = (await session.exec(stmt)).first()
    return None if row is None else (row, json.loads(row.member))
