"""Migration 0003 on SQLite and PostgreSQL: the proof tables, their round trip, and no secret column."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, inspect

from reserves.storage import proofs_repository as prepo
from reserves.storage.db import open_database, sync_url
from reserves.storage.migrate import upgrade
from reserves.storage.proof_models import ChallengeRow, ProofRow

T0 = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)


def _challenge(cid: str) -> ChallengeRow:
    return ChallengeRow(
        id=cid,
        purpose="operator",
        message="m",
        reserve_set_version=1,
        reserve_set_hash="ab" * 32,
        chain_id="bip122:x",
        block_height=5,
        block_hash="11" * 32,
        block_time=T0,
        created_at=T0,
        expires_at=T0 + timedelta(hours=1),
    )


def _proof(cid: str, address: str, outcome: str, proven: datetime) -> ProofRow:
    return ProofRow(
        challenge_id=cid,
        address=address,
        wallet="hot",
        source="admin",
        variant="simple",
        outcome=outcome,
        detail="",
        valid_at_time=2**32 - 1,
        signers="[]",
        signer_keys=json.dumps(["k"]),
        signature="sig",
        proven_at=proven,
        submitted_at=proven,
    )


def test_tables_and_columns(db_url):
    upgrade(db_url)
    engine = create_engine(sync_url(db_url))
    try:
        insp = inspect(engine)
        assert {"proof_challenge", "control_proof"} <= set(insp.get_table_names())
        columns = {c["name"] for t in ("proof_challenge", "control_proof") for c in insp.get_columns(t)}
        assert not {c for c in columns if "secret" in c or "private" in c or "passphrase" in c}
    finally:
        engine.dispose()


async def test_round_trip_newest_valid_and_freshness(migrated_db_url):
    db = open_database(migrated_db_url)
    try:
        async with db.sessions() as s:
            await prepo.insert_challenge(s, _challenge("a" * 32))
            await prepo.insert_proof(s, _proof("a" * 32, "addr1", "valid", T0))
            await prepo.insert_proof(s, _proof("a" * 32, "addr1", "valid", T0 + timedelta(hours=1)))
            await prepo.insert_proof(s, _proof("a" * 32, "addr1", "invalid", T0 + timedelta(hours=2)))
            await prepo.insert_proof(s, _proof("a" * 32, "addr2", "invalid", T0))
            await s.commit()
        async with db.sessions() as s:
            assert (await prepo.get_challenge(s, "a" * 32)).block_height == 5
            newest = await prepo.latest_valid_per_address(s, ["addr1", "addr2"])
            assert set(newest) == {"addr1"} and newest["addr1"].valid_at_time == 2**32 - 1
            assert newest["addr1"].proven_at.replace(tzinfo=timezone.utc) == T0 + timedelta(hours=1)
            groups = await prepo.fresh_key_sets(s, T0 + timedelta(minutes=30))
            assert [(g.wallet, g.signer_keys) for g in groups] == [("hot", '["k"]')]
            assert groups[0].proven_at.replace(tzinfo=timezone.utc) == T0 + timedelta(hours=1)
            assert len(await prepo.fresh_key_sets(s, T0)) == 1  # one group however many proofs
            assert await prepo.proven_addresses(s) == ["addr1"]
            assert len(await prepo.proofs_for_challenge(s, "a" * 32)) == 4
    finally:
        await db.dispose()
