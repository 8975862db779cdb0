"""The append-only audit log of operator actions: who, what and when, each entry hash-chained to the last.

Actions: config.changed (a start with another configuration), reserve_set.version, key.introduced,
key.rotated, guardians.changed, guardian.signature, admin.link, admin.challenge, admin.proof,
webhook.*, admin_key.created, admin_key.revoked. `actor` says who: "operator" (the configuration),
"engine", "guardian:<key_id>", "admin-key:<name>" (an admin API key; the [admin] token is
"admin-key:admin-token"), "cli". The log is public: it never carries a client's address.
`detail` is a small JSON object without secrets. The database refuses UPDATE and DELETE on the
table (triggers, migration 0008).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from sqlalchemy import text
from sqlmodel import col, select

from reserves.attestation.canonical import jcs
from reserves.read.display import iso
from reserves.storage.engine_models import AuditRow
from reserves.storage.repository import AUDIT_LOCK_KEY

MAX_DETAIL_BYTES = 8000


def entry_hash(entry: dict) -> str:
    return hashlib.sha256(jcs(entry)).hexdigest()


async def append(session, *, actor: str, action: str, detail: dict, at: datetime | None = None) -> AuditRow:
    """Append one entry in the caller's transaction (writers serialised by a lock)."""
    if session.bind.dialect.name == "postgresql":
        await session.exec(text("SELECT pg_advisory_xact_lock(:k)"), params={"k": AUDIT_LOCK_KEY})
    last = (await session.exec(select(AuditRow).order_by(col(AuditRow.id).desc()).limit(1))).first()
    at = (at or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    detail_text = json.dumps(detail, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    if len(detail_text.encode()) > MAX_DETAIL_BYTES:
        detail_text = json.dumps({"truncated": True, "bytes": len(detail_text.encode())})
    entry = {
        "id": 1 if last is None else last.id + 1,
        "at": iso(at),
        "actor": actor[:200],
        "action": action[:64],
        "detail": json.loads(detail_text),
        "previous_hash": None if last is None else last.hash,
    }
    row = AuditRow(
        id=entry["id"],
        at=at,
        actor=entry["actor"],
        action=entry["action"],
        detail=detail_text,
        previous_hash=entry["previous_hash"],
        hash=entry_hash(entry),
    )
    session.add(row)
    await session.flush()
    return row


def entry_json(row: AuditRow) -> dict:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=timezone.utc)
    return {
        "id": row.id,
        "at": iso(at),
        "actor": row.actor,
        "action": row.action,
        "detail": json.loads(row.detail),
        "previous_hash": row.previous_hash,
        "hash": row.hash,
    }


def chain_problems(entries: list[dict]) -> list[str]:
    """Check a run of entries (oldest first): each hash, and each previous_hash linking to the one before."""
    problems = []
    for i, e in enumerate(entries):
        body = {k: e[k] for k in ("id", "at", "actor", "action", "detail", "previous_hash")}
        if entry_hash(body) != e["hash"]:
            problems.append(f"entry {e['id']}: hash does not match its content")
        if i and (e["previous_hash"] != entries[i - 1]["hash"] or e["id"] != entries[i - 1]["id"] + 1):
            problems.append(f"entry {e['id']}: does not follow entry {entries[i - 1]['id']}")
    return problems


async def page(session, *, before_id: int | None, limit: int) -> list[AuditRow]:
    stmt = select(AuditRow).order_by(col(AuditRow.id).desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(AuditRow.id < before_id)
    return list((await session.exec(stmt)).all())
