"""The configuration a process starts with, recorded in the audit log when it differs from the last one.

The entry holds fingerprints only: an HMAC-SHA256 per settings section, keyed by a key derived
from the engine's signing key, and one of them all, so the log says *which* sections changed
(policy, guardians, deployments, ...) without holding anything from them, and nobody without the
signing key can test guesses of a password, token or API key against it. A new engine key makes
every section look changed once. The devnet's sources are built at start and never recorded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, is_dataclass

from sqlalchemy import text
from sqlmodel import col, select

from reserves.storage.engine_models import AuditRow
from reserves.storage.repository import AUDIT_LOCK_KEY
from reserves.trust import audit

ACTION = "config.changed"
SKIPPED = {"config_path", "data_dir"}


def _plain(value):
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def fingerprint(settings, key) -> dict[str, str]:
    """{section: HMAC hex} of every settings section under `key` (a SigningKey)."""
    out = {}
    for f in fields(settings):
        if f.name in SKIPPED:
            continue
        text = json.dumps(_plain(getattr(settings, f.name)), sort_keys=True, default=repr)
        out[f.name] = key.mac(b"config", text.encode())
    return out


async def record_config(db, settings, key) -> bool:
    """Append `config.changed` when the sections' fingerprints differ from the last recorded; True if appended."""
    sections = fingerprint(settings, key)
    overall = hashlib.sha256(json.dumps(sections, sort_keys=True).encode()).hexdigest()
    async with db.sessions() as session:
        async with session.begin():
            if session.bind.dialect.name == "postgresql":
                await session.exec(text("SELECT pg_advisory_xact_lock(:k)"), params={"k": AUDIT_LOCK_KEY})
            last = (
                await session.exec(
                    select(AuditRow).where(AuditRow.action == ACTION).order_by(col(AuditRow.id).desc()).limit(1)
                )
            ).first()
            before = json.loads(last.detail)["sections"] if last is not None else {}
            if last is not None and json.loads(last.detail).get("hash") == overall:
                return False
            changed = sorted(k for k in sections if before.get(k) != sections[k])
            await audit.append(
                session,
                actor="operator",
                action=ACTION,
                detail={"hash": overall, "sections": sections, "changed": changed, "first": last is None},
            )
    return True
