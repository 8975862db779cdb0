"""Create, list and revoke admin keys (the `reserves admin-keys` CLI): one service, one set of checks.

`create` returns the key itself once; only its hash is stored. Creation and revocation are written
to the audit log (name, id and scopes; never the key nor its hash).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy.exc import IntegrityError

from reserves.admin.errors import AdminKeyExists, InvalidAdminKey, UnknownAdminKey
from reserves.admin.keys import PREFIX, SCOPES, is_key_id, new_key, scopes_of, scopes_text, valid_name
from reserves.read.display import iso
from reserves.storage import admin_key_repository as repo
from reserves.storage.admin_key_models import AdminKeyRow
from reserves.storage.db import Database
from reserves.trust import audit


def _utc(at: datetime | None) -> str | None:
    if at is None:
        return None
    return iso(at if at.tzinfo else at.replace(tzinfo=timezone.utc))


def key_json(row: AdminKeyRow) -> dict[str, Any]:
    """A key as listed: never its secret nor its hash."""
    return {
        "name": row.name,
        "id": row.id,
        "scopes": sorted(scopes_of(row.scopes), key=SCOPES.index),
        "created_at": _utc(row.created_at),
        "last_used_at": _utc(row.last_used_at),
        "revoked_at": _utc(row.revoked_at),
    }


def check_scopes(scopes: list[str] | tuple[str, ...]) -> frozenset[str]:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise InvalidAdminKey(f"{unknown[0][:32]!r}: unknown scope (allowed: {', '.join(SCOPES)})")
    if not scopes:
        raise InvalidAdminKey(f"give at least one scope ({', '.join(SCOPES)})")
    return frozenset(scopes)


class AdminKeyService:
    def __init__(self, db: Database, actor: str = "cli") -> None:
        self.db, self.actor = db, actor

    async def create(self, name: str, scopes: list[str] | tuple[str, ...]) -> dict[str, Any]:
        """A new key named `name` with `scopes`; the answer's `key` is shown only now."""
        if not valid_name(name):
            raise InvalidAdminKey(
                "name: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit; "
                "not 12 hex digits (that is an id) and not 'admin-token' (the configured token)"
            )
        wanted = check_scopes(scopes)
        made = new_key()
        now = datetime.now(timezone.utc).replace(microsecond=0)
        row = AdminKeyRow(id=made.key_id, name=name, scopes=scopes_text(wanted), secret_hash=made.hash, created_at=now)
        async with self.db.sessions() as session:
            if await repo.by_name(session, name) is not None:
                raise AdminKeyExists(f"a key named {name} exists (a revoked key's name stays taken)")
            session.add(row)
            try:
                await session.flush()
            except IntegrityError as exc:  # a concurrent create of the same name (or, once in 2**48, id)
                await session.rollback()
                raise AdminKeyExists(f"a key named {name} exists") from exc
            detail = {"name": name, "id": made.key_id, "scopes": scopes_text(wanted)}
            await audit.append(session, actor=self.actor, action="admin_key.created", detail=detail, at=now)
            await session.commit()
            await session.refresh(row)
        return {**key_json(row), "key": made.key}

    async def list(self) -> list[dict[str, Any]]:
        async with self.db.sessions() as session:
            return [key_json(row) for row in await repo.all_keys(session)]

    async def revoke(self, name_or_id: str) -> dict[str, Any]:
        """Revoke the key of that name or id (`rpk_<id>` also accepted); revoking twice is a no-op."""
        text = name_or_id.removeprefix(PREFIX)
        async with self.db.sessions() as session:
            row = await (repo.by_id(session, text) if is_key_id(text) else repo.by_name(session, name_or_id))
            if row is None:
                raise UnknownAdminKey(f"no admin key named or with id {name_or_id[:80]!r}")
            if row.revoked_at is None:
                now = datetime.now(timezone.utc).replace(microsecond=0)
                row.revoked_at = now
                session.add(row)
                detail = {"name": row.name, "id": row.id}
                await audit.append(session, actor=self.actor, action="admin_key.revoked", detail=detail, at=now)
                await session.commit()
                await session.refresh(row)
            return key_json(row)
