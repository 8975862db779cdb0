"""History queries over a year of one-minute snapshots (525,600 rows), on PostgreSQL and on SQLite.

For a year, a week and a day, the time to answer GET /api/v1/history's service call with its
default bucket (at most 500 points), median of ROUNDS runs; the target is under 100 ms on
PostgreSQL for each. The reference, measured in the same run on the same data: the same range
and bucket answered from the raw rows (no rollup), what the query would cost without them.

PostgreSQL: $RESERVES_BENCH_DATABASE_URL (a server URL; a fresh database is made on it), else the
server on 127.0.0.1:5432, else a throwaway cluster from the installed server binaries. With
$RESERVES_BENCH_TIMESCALE_URL (a server with the TimescaleDB extension) it runs there too, the
continuous aggregates materialised as their refresh policies would.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

from sqlalchemy import create_engine

from reserves.read.service import ReserveService
from reserves.settings.load import default_settings
from reserves.storage import series
from reserves.storage.db import open_database, sync_url
from reserves.storage.migrate import upgrade
from reserves.storage.rollup_build import rebuild_rollups

ROWS = 525_600  # one year of one-minute snapshots
ROUNDS = 15
WINDOWS = {"year": timedelta(days=365), "week": timedelta(days=7), "day": timedelta(days=1)}
LOCAL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _series(end: datetime):
    rng = random.Random(2026)
    ratio, start = 11_000, end - timedelta(minutes=ROWS)
    for i in range(ROWS):
        ratio = max(9_000, min(13_000, ratio + rng.randint(-7, 7)))
        liabilities = 1_300_000_000 + i * 10
        yield (
            start + timedelta(minutes=i),
            i,
            f"{i:064x}",
            "healthy" if ratio >= 10_200 else "warning",
            ratio,
            liabilities * ratio // 10_000,
            liabilities,
        )


def _fill_postgres(url: str, end: datetime) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    dsn = f"host={u.host} port={u.port or 5432} user={u.username or 'postgres'} dbname={u.database}"
    with psycopg.connect(dsn) as conn:
        with conn.cursor().copy(
            "COPY ratio_point (time, sequence, attestation_id, status, ratio_bp, reserves_sat, "
            "liabilities_sat) FROM STDIN"
        ) as copy:
            for row in _series(end):
                copy.write_row(row)
        conn.execute("ANALYZE ratio_point")


def _fill_sqlite(url: str, end: datetime) -> None:
    import sqlite3

    path = url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    pad = lambda v: str(v).zfill(78)  # noqa: E731  (the Amount column's text form)
    rows = (
        (t.strftime("%Y-%m-%d %H:%M:%S.%f"), s, a, st, pad(r), pad(res), pad(liab))
        for t, s, a, st, r, res, liab in _series(end)
    )
    conn.executemany(
        "INSERT INTO ratio_point (time, sequence, attestation_id, status, ratio_bp, reserves_sat, "
        "liabilities_sat) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def _rollups(url: str) -> str:
    """Build the plain rollups, or on TimescaleDB materialise the continuous aggregates (what their
    refresh policies do in production); returns which."""
    engine = create_engine(sync_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            kind = (
                conn.exec_driver_sql("SELECT relkind FROM pg_class WHERE relname = 'ratio_rollup'").scalar()
                if conn.dialect.name == "postgresql"
                else "r"
            )
            if kind == "v":
                for view in ("ratio_rollup_1h", "ratio_rollup_1d", "supply_rollup_1h", "supply_rollup_1d"):
                    conn.exec_driver_sql(f"CALL refresh_continuous_aggregate('{view}', NULL, NULL)")
                return "TimescaleDB continuous aggregates, refreshed"
            rebuild_rollups(conn)
            return "rollup tables"
    finally:
        engine.dispose()


async def _time(fn, rounds: int = ROUNDS) -> tuple[float, object]:
    result, times = None, []
    for _ in range(rounds):
        t = time.perf_counter()
        result = await fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


async def _raw(db, start: str, end: str, bucket: int):
    """The series query alone, without the service around it: the reference."""
    async with db.sessions() as session:
        return await series.history(
            session,
            start=datetime.fromisoformat(start),
            end=datetime.fromisoformat(end),
            bucket_seconds=bucket,
            resolution=None,
        )


async def _measure(label: str, url: str, end: datetime) -> None:
    db = open_database(url)
    service = ReserveService(db, default_settings(Path(tempfile.gettempdir())))
    try:
        for name, span in WINDOWS.items():
            took, answer = await _time(partial(service.history, start=end - span, end=end, bucket_seconds=None))
            bucket = answer["bucket_seconds"]
            source = series.source_for(bucket)
            ref, raw_answer = await _time(partial(_raw, db, answer["from"], answer["to"], bucket), rounds=5)
            same = [p["min_ratio_bp"] for p in answer["points"]] == [str(b.min_ratio_bp) for b in raw_answer]
            print(
                f"{label} {name}: {took * 1e3:7.1f} ms for {len(answer['points'])} points of {bucket} s "
                f"(from {'the ' + str(source) + ' s rollup' if source else 'raw rows'}); reference, the same "
                f"buckets from raw rows: {ref * 1e3:7.1f} ms ({ref / took:5.1f}x); answers equal: {same}"
            )
    finally:
        await db.dispose()


def _postgres_server(stack: ExitStack) -> str:
    from tests.pg import server_reachable, throwaway_cluster

    url = os.environ.get("RESERVES_BENCH_DATABASE_URL")
    if url:
        return url
    if server_reachable(LOCAL, timeout=1.0):
        return LOCAL
    return stack.enter_context(throwaway_cluster())


async def _run() -> None:
    end = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    with ExitStack() as stack:
        from tests.pg import fresh_database

        server = _postgres_server(stack)
        pg = stack.enter_context(fresh_database(server))
        sqlite = f"sqlite:///{Path(tempfile.mkdtemp(prefix='history-bench-')) / 'bench.db'}"
        backends = [("postgresql", pg, _fill_postgres), ("sqlite", sqlite, _fill_sqlite)]
        timescale = os.environ.get("RESERVES_BENCH_TIMESCALE_URL")
        if timescale:  # a server with the extension (compose's db service is one)
            ts = stack.enter_context(fresh_database(timescale, extensions=("timescaledb",)))
            backends.insert(1, ("timescaledb", ts, _fill_postgres))
        for label, url, fill in backends:
            upgrade(url)
            t = time.perf_counter()
            fill(url, end)
            how = _rollups(url)
            print(
                f"{label}: {ROWS:,} one-minute rows and their rollups ({how}) written in "
                f"{time.perf_counter() - t:.1f} s"
            )
            await _measure(label, url, end)


def main() -> None:
    asyncio.run(_run())


if __name__ == "__main__":
    main()
