"""`proof.expiring`: once per proof, inside its warning window, never for a fresh or an expired one."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from reserves.jobs.proof_expiry import announce_expiring_proofs, warning_seconds
from reserves.storage.engine_models import EngineEventRow
from tests.proofs_service.test_storage import T0, _challenge, _proof

DAY = 86400


async def test_each_proof_is_announced_once_in_its_window(db):
    async with db.sessions() as session:
        session.add(_challenge("c1"))
        await session.flush()
        session.add(_proof("c1", "bcrt1qsoon", "valid", T0))
        session.add(_proof("c1", "bcrt1qlater", "valid", T0 + timedelta(days=20)))
        session.add(_proof("c1", "bcrt1qbad", "invalid", T0))
        await session.commit()
    max_age = 30 * DAY
    assert warning_seconds(max_age) == 3 * DAY
    before = T0 + timedelta(days=26)  # 4 days before the first expires: not yet
    assert await announce_expiring_proofs(db, max_age, now=before) == 0
    inside = T0 + timedelta(days=28)
    assert await announce_expiring_proofs(db, max_age, now=inside) == 1
    assert await announce_expiring_proofs(db, max_age, now=inside + timedelta(hours=1)) == 0  # once
    after = T0 + timedelta(days=31)  # expired: no longer "expiring"
    assert await announce_expiring_proofs(db, max_age, now=after) == 0
    async with db.sessions() as session:
        [event] = (await session.exec(select(EngineEventRow).where(EngineEventRow.kind == "proof_expiring"))).all()
    payload = json.loads(event.payload)
    assert payload["address"] == "bcrt1qsoon" and payload["wallet"] == "hot" and payload["challenge_id"] == "c1"
    assert (payload["proven_at"], payload["expires_at"]) == ("2026-11-01T12:00:00Z", "2026-12-01T12:00:00Z")
    assert event.attestation_id is None


def test_the_warning_window_is_bounded():
    assert warning_seconds(60) == 3600 and warning_seconds(366 * DAY) == 7 * DAY
