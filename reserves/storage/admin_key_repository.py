"""Admin key SQL: insert, list, find by id or name, revoke, and the coarse last-used stamp.

Every function runs in the caller's session; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from reserves.storage.admin_key_models import AdminKeyRow


async def all_keys(session) -> list[AdminKeyRow]:
    stmt = select(AdminKeyRow).order_by(col(AdminKeyRow.created_at), col(AdminKeyRow.id))
    return list((await session.exec(stmt)).all())


async def active_keys(session) -> list[AdminKeyRow]:
    """The keys not revoked: what the guard's keyring caches (admin keys are few)."""
    stmt = select(AdminKeyRow).where(col(AdminKeyRow.revoked_at).is_(None))
    return list((await session.exec(stmt)).all())


async def by_name(session, name: str) -> AdminKeyRow | None:
    return (await session.exec(select(AdminKeyRow).where(AdminKeyRow.name == name))).first()


async def by_id(session, key_id: str) -> AdminKeyRow | None:
    return await session.get(AdminKeyRow, key_id)


async def touch(session, key_id: str, at: datetime) -> None:
    await session.exec(update(AdminKeyRow).where(col(AdminKeyRow.id) == key_id).values(last_used_at=at))
