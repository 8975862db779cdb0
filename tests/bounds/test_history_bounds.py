"""History over any range reads a bounded number of rows: raw points only for short ranges, the hourly and
daily rollups beyond, whatever the number of raw points stored (PostgreSQL, bulk inserts)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import httpx
import pytest
from sqlalchemy import create_engine, text

from reserves.read import history as history_mod
from reserves.storage.db import open_database, sync_url
from reserves.storage.migrate import upgrade
from reserves.storage.rollup_build import rebuild_rollups
from tests.bounds.plans import captured, rows_touched
from tests.pg import fresh_database

FAR = {"start": datetime(2000, 1, 1, tzinfo=timezone.utc), "end": datetime(2199, 12, 31, tzinfo=timezone.utc)}
RAW = 500_000  # one snapshot a minute for almost a year


def fill(url: str) -> None:
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO ratio_point (time, sequence, attestation_id, status, ratio_bp, reserves_sat,"
                    " liabilities_sat) SELECT TIMESTAMPTZ '2026-01-01 00:00:00+00' + make_interval(mins => g), g,"
                    " lpad(to_hex(g), 64, '0'), 'healthy', 10000 + g % 50, 10 ^ 9 + g, 10 ^ 9"
                    " FROM generate_series(1, CAST(:n AS integer)) g"
                ),
                {"n": RAW},
            )
            conn.execute(
                text(
                    "INSERT INTO supply_point (time, sequence, deployment, chain_id, supply_sat)"
                    " SELECT time, sequence, 'eth', 'eip155:1', liabilities_sat FROM ratio_point"
                )
            )
            rebuild_rollups(conn)
            conn.execute(text("ANALYZE ratio_point; ANALYZE supply_point; ANALYZE ratio_rollup; ANALYZE supply_rollup"))
    finally:
        engine.dispose()


async def answer(url: str, **query) -> tuple[dict, list]:
    db = open_database(url)
    try:
        with captured(db.engine.sync_engine) as statements:
            out = await history_mod.history(db, **query)
    finally:
        await db.dispose()
    return out, list(statements)


def touched(url: str, statements: list) -> tuple[int, list[str]]:
    engine = create_engine(sync_url(url))
    total, scans = 0, []
    try:
        with engine.connect() as conn:
            for statement, params in statements:
                if "_rollup" in statement or "_point" in statement:
                    n, relations = rows_touched(conn, statement, params)
                    total, scans = total + n, scans + relations
    finally:
        engine.dispose()
    return total, scans


@pytest.fixture(scope="module")
def filled(pg_server):
    with fresh_database(pg_server) as url:
        upgrade(url)
        fill(url)
        yield url


@pytest.mark.parametrize("deployment", [None, "eth"])
def test_a_200_year_range_reads_daily_rows_not_raw_points(filled, deployment):
    out, statements = asyncio.run(answer(filled, bucket_seconds=31_622_399, deployment=deployment, **FAR))
    assert out["bucket_seconds"] == 31_622_400 and out["source"] == "rollup_86400s"
    assert sum(p["points"] for p in out["points"]) == RAW  # every point is counted, from the rollup
    rows, scans = touched(filled, statements)
    days = RAW // 1440 + 2
    assert rows <= days, scans  # one daily row per day of data: nothing grows with the raw points
    assert not [s for s in scans if "_point" in s], scans


def test_a_quarter_reads_hourly_rows_and_a_week_raw_points(filled):
    start = datetime(2026, 3, 1, tzinfo=timezone.utc)
    out, statements = asyncio.run(
        answer(filled, start=start, end=datetime(2026, 5, 1, tzinfo=timezone.utc), bucket_seconds=600)
    )
    assert out["bucket_seconds"] == 3600 and out["source"] == "rollup_3600s"
    rows, scans = touched(filled, statements)
    assert rows <= 61 * 24 + 1 and not [s for s in scans if "_point" in s], scans
    out, statements = asyncio.run(
        answer(filled, start=start, end=datetime(2026, 3, 8, tzinfo=timezone.utc), bucket_seconds=600)
    )
    assert out["bucket_seconds"] == 600 and out["source"] == "raw"
    rows, _ = touched(filled, statements)
    assert rows <= 7 * 1440 + 10


def test_over_http_the_bucket_rounds_up_and_says_so(live):
    r = httpx.get(
        f"{live.base}/api/v1/history",
        params={"from": "2000-01-01T00:00:00Z", "to": "2199-12-31T00:00:00Z", "bucket": 31_622_399},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.json()["bucket_seconds"] == 31_622_400 and r.json()["source"] == "rollup_86400s"
    r = httpx.get(
        f"{live.base}/api/v1/history",
        params={"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z", "bucket": 7},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.json()["bucket_seconds"] == 3600 and r.json()["source"] == "rollup_3600s"  # 744 hourly buckets


def test_bounded_bucket():
    assert history_mod.bounded_bucket(7, 86400) == 7
    assert history_mod.bounded_bucket(7, 8 * 86400) == 3600
    assert history_mod.bounded_bucket(3601, 8 * 86400) == 7200
    assert history_mod.bounded_bucket(600, 367 * 86400) == 86400
    assert history_mod.bounded_bucket(600, 366 * 86400) == 3600
    assert history_mod.bounded_bucket(31_622_399, 1e10) == 31_622_400
