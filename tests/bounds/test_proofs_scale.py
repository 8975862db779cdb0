"""The proof status reads a bounded number of rows however many public challenges are stored, and
pruning keeps what the status reads while bounding what is kept (PostgreSQL, bulk inserts)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text

from reserves.jobs.prune import prune_public_challenges
from reserves.proofs.status import proof_status
from reserves.storage import proofs_repository as prepo
from reserves.storage.db import open_database, sync_url
from reserves.storage.migrate import upgrade
from tests.bounds.plans import captured, rows_touched
from tests.pg import fresh_database, model_drift

NOW = datetime(2026, 12, 5, 12, tzinfo=timezone.utc)
ONLINE = ("bcrt1qonline0", "bcrt1qonline1")
OPERATOR = tuple(f"bcrt1qcold{i}" for i in range(20))
# The status lists proofs of declared wallets only; these two stand for them (no policy to show).
WALLETS = tuple(SimpleNamespace(name=name, label=name, policy=lambda: None) for name in ("hot", "cold"))


def fill(url: str, first: int, count: int) -> None:
    """`count` public challenges (ids from `first`), each answered by the two online keys, created a second
    apart up to NOW; as the online signer leaves them (generate_series: 200k rows in seconds)."""
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO proof_challenge (id, purpose, message, reserve_set_version, reserve_set_hash,"
                    " chain_id, block_height, block_hash, block_time, nonce, created_at, expires_at)"
                    " SELECT lpad(to_hex(g), 32, '0'), 'public', repeat('m', 500), 1, repeat('a', 64), 'bip122:x',"
                    " 100, repeat('b', 64), t, 'nonce', t, t + interval '1 day'"
                    " FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) g,"
                    " LATERAL (SELECT :now - make_interval(secs => CAST(:last AS integer) - g) AS t) s"
                ),
                {"now": NOW, "first": first, "last": first + count - 1},
            )
            for k, address in enumerate(ONLINE):
                conn.execute(
                    text(
                        "INSERT INTO control_proof (challenge_id, address, wallet, source, variant, outcome, detail,"
                        " signers, signer_keys, signature, proven_at, submitted_at)"
                        " SELECT c.id, :address, 'hot', 'online', 'simple', 'valid', '', '[]', :keys, repeat('s', 140),"
                        " c.block_time, c.created_at FROM proof_challenge c"
                        " WHERE c.purpose = 'public' AND c.id >= lpad(to_hex(CAST(:first AS integer)), 32, '0')"
                    ),
                    {"address": address, "keys": f'["online{k}"]', "first": first},
                )
            conn.execute(text("ANALYZE proof_challenge; ANALYZE control_proof"))
    finally:
        engine.dispose()


def operator_proofs(url: str) -> None:
    """One operator challenge with a valid and an invalid proof per cold address (the audit record)."""
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO proof_challenge VALUES ('f' || repeat('0', 31), 'operator', 'm', 1, 'a',"
                    " 'bip122:x', 1, 'b', :t, NULL, :t, :t + interval '1 day')"
                ),
                {"t": NOW - timedelta(days=3)},
            )
            for address in OPERATOR:
                for outcome in ("valid", "invalid"):
                    conn.execute(
                        text(
                            "INSERT INTO control_proof (challenge_id, address, wallet, source, variant, outcome,"
                            " detail, signers, signer_keys, signature, proven_at, submitted_at) VALUES"
                            " ('f' || repeat('0', 31), :a, 'cold', 'admin', 'simple', :o, '', '[]', '[\"c1\", \"c2\"]',"
                            " 's', :t, :t)"
                        ),
                        {"a": address, "o": outcome, "t": NOW - timedelta(days=3)},
                    )
    finally:
        engine.dispose()


async def status_reads(url: str) -> tuple[dict, int, list[str], float]:
    """The status, the rows its statements touch (EXPLAIN ANALYZE of each), what they scan, and its time."""
    db = open_database(url)
    try:
        with captured(db.engine.sync_engine) as statements:
            started = time.perf_counter()
            async with db.sessions() as session:
                status = await proof_status(session, WALLETS, 30 * 86400, NOW)
            took = time.perf_counter() - started
    finally:
        await db.dispose()
    engine = create_engine(sync_url(url))
    total, scans = 0, []
    try:
        with engine.connect() as conn:
            for statement, params in statements:
                n, relations = rows_touched(conn, statement, params)
                total += n
                scans += relations
    finally:
        engine.dispose()
    return status, total, scans, took


@pytest.fixture
def pg_url(pg_server):
    with fresh_database(pg_server) as url:
        upgrade(url)
        operator_proofs(url)
        yield url


def test_the_status_reads_the_same_rows_at_1k_and_201k_public_challenges(pg_url):
    fill(pg_url, 1, 1000)
    small, small_rows, _, small_time = asyncio.run(status_reads(pg_url))
    fill(pg_url, 1001, 200_000)
    big, big_rows, scans, big_time = asyncio.run(status_reads(pg_url))
    print(f"status: {small_rows} rows, {small_time * 1000:.1f} ms at 1k; {big_rows}, {big_time * 1000:.1f} ms at 201k")
    assert big_rows == small_rows, scans
    assert not [s for s in scans if s.startswith("Seq Scan") and "control_proof" in s], scans
    addresses = {a["address"]: a for a in big["addresses"]}
    assert set(addresses) == set(ONLINE) | set(OPERATOR)
    newest = addresses[ONLINE[0]]
    assert newest["challenge_id"] == f"{201_000:032x}" and newest["status"] == "fresh"
    assert addresses[OPERATOR[0]]["challenge_id"] == "f" + "0" * 31
    assert small["addresses"][0]["address"] == big["addresses"][0]["address"]


def test_pruning_keeps_what_the_status_reads_and_caps_the_rest(pg_url):
    fill(pg_url, 1, 5000)  # created up to NOW, a second apart: all within their one-day ttl
    before, _, _, _ = asyncio.run(status_reads(pg_url))
    db = open_database(pg_url)

    async def prune(now: datetime, cap: int) -> tuple[int, int, set[str]]:
        gone = await prune_public_challenges(db, 30 * 86400, now=now, max_public=cap)
        async with db.sessions() as session:
            return gone, await prepo.count_public(session), await prepo.kept_challenges(session)

    async def run() -> None:
        try:
            # Within their ttl and under the cap: nothing goes.
            assert await prune(NOW, 10_000) == (0, 5000, {f"{5000:032x}", "f" + "0" * 31})
            # Over the cap: the oldest go first, down to the cap; the newest (read by the status) stay.
            gone, left, kept = await prune(NOW, 1000)
            assert (gone, left) == (4000, 1000) and f"{5000:032x}" in kept
            async with db.sessions() as session:
                oldest = await prepo.oldest_public(session, limit=1, keep=set())
            assert oldest == [f"{4001:032x}"]
            # Past their ttl: all but the one holding the newest proofs.
            gone, left, _ = await prune(NOW + timedelta(days=2), 1000)
            assert (gone, left) == (999, 1)
        finally:
            await db.dispose()

    asyncio.run(run())
    after, _, _, _ = asyncio.run(status_reads(pg_url))
    assert after["addresses"] == before["addresses"]  # what the status shows did not change


def test_migration_0013_creates_the_indexes_the_models_declare(pg_url):
    drift = [d for d in model_drift(pg_url) if any(t in str(d) for t in ("control_proof", "proof_challenge"))]
    drift += [d for d in model_drift(pg_url) if "ix_attestation" in str(d) or "'attestation'" in str(d)]
    assert drift == []
