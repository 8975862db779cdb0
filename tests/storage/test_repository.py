"""Storage on SQLite and on a real PostgreSQL server: migrations, amounts, uniqueness, history buckets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from reserves.storage import repository as repo
from reserves.storage.db import open_database, sync_url
from reserves.storage.migrate import current_revision, head_revision, upgrade
from reserves.storage.models import AttestationRow, RatioPoint
from reserves.storage.timescale import timescale_installed
from reserves.storage.types import Amount

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def _row(seq: int, *, previous: str | None, ratio: int | None, when: datetime, res: int = 10, liab: int = 5):
    att_id = f"{seq:064x}"
    return (
        AttestationRow(
            id=att_id,
            sequence=seq,
            previous=previous,
            issued_at=when,
            status="healthy",
            ratio_bp=ratio,
            reserves_sat=res,
            liabilities_sat=liab,
            document="{}",
        ),
        RatioPoint(
            time=when,
            sequence=seq,
            attestation_id=att_id,
            status="healthy",
            ratio_bp=ratio,
            reserves_sat=res,
            liabilities_sat=liab,
        ),
    )


@pytest.fixture
async def db(migrated_db_url):
    database = open_database(migrated_db_url)
    yield database
    await database.dispose()


def test_migrations_reach_head_and_are_idempotent(db_url):
    upgrade(db_url)
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    engine = create_engine(sync_url(db_url))
    with engine.connect() as conn:
        tables = {"attestation", "ratio_point", "signing_key", "reserve_set_version"}
        if conn.dialect.name == "sqlite":
            names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
        else:
            names = {r[0] for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'"))}
            hyper = conn.execute(
                text(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relname = 'hypertable' AND n.nspname = '_timescaledb_catalog'"
                )
            ).scalar()
            if timescale_installed(conn):
                # The guard saw the extension: ratio_point must now be a hypertable.
                assert hyper == 1
                assert (
                    conn.execute(
                        text(
                            "SELECT count(*) FROM timescaledb_information.hypertables "
                            "WHERE hypertable_name = 'ratio_point'"
                        )
                    ).scalar()
                    == 1
                )
            else:
                assert hyper == 0  # plain PostgreSQL: a plain table, queried with date_bin
        assert tables <= names
    engine.dispose()


async def test_amounts_beyond_64_bits_round_trip_exactly(db):
    big = 2**256 - 1  # a uint256 total supply
    row, point = _row(0, previous=None, ratio=10**30 + 1, when=T0, res=big, liab=2**53 + 1)
    async with db.sessions() as s, s.begin():
        await repo.insert_attestation(s, row, point)
    async with db.sessions() as s:
        got = await repo.get_attestation(s, row.id)
    assert got.reserves_sat == big and got.liabilities_sat == 2**53 + 1 and got.ratio_bp == 10**30 + 1


async def test_second_writer_of_a_sequence_is_refused(db):
    a, pa = _row(0, previous=None, ratio=1, when=T0)
    async with db.sessions() as s, s.begin():
        await repo.insert_attestation(s, a, pa)
    b, pb = _row(0, previous=None, ratio=2, when=T0 + timedelta(seconds=1))
    b.id = "f" * 64
    pb.attestation_id = b.id
    with pytest.raises(repo.SequenceTaken):
        async with db.sessions() as s, s.begin():
            await repo.insert_attestation(s, b, pb)
    # the same `previous` twice is a fork: refused as well
    c, pc = _row(1, previous=a.id, ratio=3, when=T0 + timedelta(seconds=2))
    d, pd = _row(2, previous=a.id, ratio=4, when=T0 + timedelta(seconds=3))
    async with db.sessions() as s, s.begin():
        await repo.insert_attestation(s, c, pc)
    with pytest.raises(repo.SequenceTaken):
        async with db.sessions() as s, s.begin():
            await repo.insert_attestation(s, d, pd)
    async with db.sessions() as s:
        assert await repo.count_attestations(s) == 2


async def test_listing_is_newest_first_with_exclusive_cursor(db):
    prev = None
    async with db.sessions() as s, s.begin():
        for i in range(7):
            r, p = _row(i, previous=prev, ratio=10000 + i, when=T0 + timedelta(minutes=i))
            await repo.insert_attestation(s, r, p)
            prev = r.id
    async with db.sessions() as s:
        first = await repo.list_attestations(s, before_sequence=None, limit=3)
        second = await repo.list_attestations(s, before_sequence=first[-1].sequence, limit=3)
        latest = await repo.latest_attestation(s)
    assert [r.sequence for r in first] == [6, 5, 4]
    assert [r.sequence for r in second] == [3, 2, 1]
    assert latest.sequence == 6


async def test_history_buckets_min_max_last(db):
    # Ratios chosen so that text comparison would get min/max wrong (9 > 10000 as strings).
    ratios = [10000, 9, 123456789012345678901234567890, 10001, 10002, 10003]
    prev = None
    async with db.sessions() as s, s.begin():
        for i, ratio in enumerate(ratios):
            r, p = _row(i, previous=prev, ratio=ratio, when=T0 + timedelta(seconds=20 * i))
            await repo.insert_attestation(s, r, p)
            prev = r.id
    async with db.sessions() as s:
        buckets = await repo.ratio_history(s, start=T0, end=T0 + timedelta(hours=1), bucket_seconds=60)
    assert [b.start for b in buckets] == [T0, T0 + timedelta(minutes=1)]
    assert [b.points for b in buckets] == [3, 3]
    assert (buckets[0].min_ratio_bp, buckets[0].max_ratio_bp, buckets[0].last_ratio_bp) == (9, ratios[2], ratios[2])
    assert (buckets[1].min_ratio_bp, buckets[1].max_ratio_bp, buckets[1].last_ratio_bp) == (10001, 10003, 10003)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**78 - 1), st.integers(min_value=0, max_value=10**78 - 1))
def test_sqlite_amount_text_orders_like_integers(a, b):
    from sqlalchemy.dialects import sqlite

    t, d = Amount(), sqlite.dialect()
    ta, tb = t.process_bind_param(a, d), t.process_bind_param(b, d)
    assert (ta < tb) == (a < b) and t.process_result_value(ta, d) == a


@pytest.mark.parametrize("bad", [-1, 10**78, 1.5, "12", True])
def test_amount_rejects_non_amounts(bad):
    from sqlalchemy.dialects import postgresql

    with pytest.raises(ValueError):
        Amount().process_bind_param(bad, postgresql.dialect())


async def test_buckets_are_the_same_on_both_backends(db):
    """Both align buckets to 2000-01-01: a 7-day bucket starts on a Saturday, never on a Thursday epoch day."""
    when = datetime(2026, 11, 18, 12, tzinfo=timezone.utc)
    r, p = _row(0, previous=None, ratio=10000, when=when)
    async with db.sessions() as s, s.begin():
        await repo.insert_attestation(s, r, p)
    async with db.sessions() as s:
        buckets = await repo.ratio_history(
            s, start=when - timedelta(days=30), end=when + timedelta(days=1), bucket_seconds=7 * 86400
        )
    origin = datetime(2000, 1, 1, tzinfo=timezone.utc)
    assert len(buckets) == 1 and (buckets[0].start - origin).total_seconds() % (7 * 86400) == 0
    assert buckets[0].start <= when < buckets[0].start + timedelta(days=7)


async def test_a_new_signing_key_retires_the_old_one(db):
    t = datetime(2026, 11, 1, tzinfo=timezone.utc)
    async with db.sessions() as s, s.begin():
        await repo.remember_key(s, pubkey="aa" * 32, key_id="old", when=t)
    async with db.sessions() as s, s.begin():
        await repo.remember_key(s, pubkey="bb" * 32, key_id="new", when=t + timedelta(days=1))
    async with db.sessions() as s:
        keys = {k.key_id: k.active for k in await repo.list_keys(s)}
    assert keys == {"old": False, "new": True}
