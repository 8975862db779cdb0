"""`proof.expiring`: a proof of control about to leave its freshness window, announced once per proof.

The newest valid proof of each proven address leaves the window `max_age_seconds` after it was
made; within `warning_seconds` of that moment (a tenth of the window, between one hour and a
week) the job writes one `proof_expiring` event for it. A newer proof of the address moves the
moment, and is announced in its turn.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

from sqlmodel import col, select

from reserves.read.display import iso
from reserves.storage import events as events_repo
from reserves.storage import proofs_repository as prepo
from reserves.storage.db import Database
from reserves.storage.engine_models import EngineEventRow
from reserves.storage.repository import utc

log = logging.getLogger(__name__)
EXPIRY_INTERVAL_SECONDS = 300


def warning_seconds(max_age_seconds: int) -> int:
    return max(3600, min(7 * 86400, max_age_seconds // 10))


async def announce_expiring_proofs(db: Database, max_age_seconds: int, *, now: datetime | None = None) -> int:
    """Write an event for each proof entering its warning window; returns how many were written."""
    now = now or datetime.now(timezone.utc)
    window = timedelta(seconds=max_age_seconds)
    warn = timedelta(seconds=warning_seconds(max_age_seconds))
    written = 0
    async with db.sessions() as session:
        newest = await prepo.latest_valid_per_address(session, await prepo.proven_addresses(session))
        due = {}
        for address, proof in newest.items():
            expires = utc(proof.proven_at) + window
            if now < expires <= now + warn:
                due[address] = (proof, expires)
        if not due:
            return 0
        announced = await _announced(session, now - window - warn)
        for address, (proof, expires) in sorted(due.items()):
            key = (address, iso(utc(proof.proven_at)))
            if key in announced:
                continue
            await events_repo.add(
                session,
                kind="proof_expiring",
                at=now,
                payload={
                    "address": address,
                    "wallet": proof.wallet,
                    "challenge_id": proof.challenge_id,
                    "proven_at": key[1],
                    "expires_at": iso(expires),
                    "max_age_seconds": max_age_seconds,
                },
            )
            written += 1
        await session.commit()
    return written


async def _announced(session, since: datetime) -> set[tuple[str, str]]:
    stmt = select(EngineEventRow.payload).where(
        EngineEventRow.kind == "proof_expiring", col(EngineEventRow.at) >= since
    )
    out = set()
    for text in (await session.exec(stmt)).all():
        payload = json.loads(text)
        out.add((payload.get("address"), payload.get("proven_at")))
    return out


async def proof_expiry_job(db: Database, max_age_seconds: int) -> None:
    """The scheduled form: failures are logged, the next run tries again."""
    try:
        written = await announce_expiring_proofs(db, max_age_seconds)
        if written:
            log.info("%d proofs of control leave their freshness window soon", written)
    except Exception:
        log.exception("announcing expiring proofs failed")
