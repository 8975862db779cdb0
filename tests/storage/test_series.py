"""The time series on each backend: rollups kept by the engine (or TimescaleDB's continuous aggregates)
answer exactly what the raw rows answer, for the totals and per deployment; retention drops raw rows only."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, closing
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text

from reserves.errors import InvalidInput
from reserves.read import history as history_mod
from reserves.storage import series
from reserves.storage.db import open_database, sqlite_file, sync_url
from reserves.storage.migrate import upgrade
from reserves.storage.models import RatioPoint
from reserves.storage.rollup_build import rebuild_rollups
from tests.pg import copy_database, fresh_database

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def _points(n: int, seed: int) -> list[tuple[RatioPoint, list]]:
    rng = random.Random(seed)
    out, t = [], T0
    for i in range(n):
        t += timedelta(minutes=rng.choice([1, 1, 7, 45, 200]))
        ratio = None if rng.random() < 0.08 else rng.randint(9_000, 13_000)
        point = RatioPoint(
            time=t,
            sequence=i,
            attestation_id=f"{i:064x}",
            status="stale" if ratio is None else "healthy",
            ratio_bp=ratio,
            reserves_sat=rng.randint(10**8, 10**9 + 2**60),
            liabilities_sat=rng.randint(10**8, 10**9),
        )
        deployments = [(name, "eip155:1", rng.randint(0, 10**12)) for name in ("eth", "l2") if rng.random() < 0.9]
        out.append((point, deployments))
    return out


async def _fill(url: str, points: list[tuple[RatioPoint, list]]) -> None:
    """Migrate `url` and record `points` one by one through `series.record`, as the engine does."""
    upgrade(url)
    db = open_database(url)
    try:
        async with db.sessions() as session:
            async with session.begin():
                for point, deployments in points:
                    session.add(point)
                    await session.flush()
                    await series.record(session, point, deployments)
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> Iterator[tuple[dict[str, str], ExitStack]]:
    """Per backend, the URL of a database `_fill`ed once for this module (made by the first test
    that needs it), and what drops them at the end."""
    with ExitStack() as stack:
        yield {}, stack


@pytest.fixture
async def filled(db_url, templates, request, tmp_path_factory):
    """`db_url` holding 200 snapshots recorded one by one, each test on its own copy: the recording
    is most of this module's time, so it runs once per backend and the copies are byte copies (the
    SQLite backup API; PostgreSQL's CREATE DATABASE ... TEMPLATE). TimescaleDB fills each time: its
    continuous aggregates and jobs are not something to copy around."""
    backend = request.node.callspec.params["db_url"]
    points = _points(200, seed=len(backend))
    if backend == "timescaledb":
        await _fill(db_url, points)
    else:
        made, drops = templates
        if backend not in made:
            if backend == "sqlite":
                template = f"sqlite:///{tmp_path_factory.mktemp('series') / 'template.db'}"
            else:
                template = drops.enter_context(fresh_database(request.getfixturevalue("pg_server")))
            await _fill(template, points)
            made[backend] = template
        if backend == "sqlite":
            with closing(sqlite3.connect(sqlite_file(made[backend]))) as source:
                with closing(sqlite3.connect(sqlite_file(db_url))) as target:
                    source.backup(target)
        else:
            copy_database(made[backend], db_url)
    db = open_database(db_url)
    yield db_url, db, points
    await db.dispose()


def _same(a, b) -> None:
    assert [vars(x) for x in a] == [vars(x) for x in b]


async def test_rollups_answer_what_raw_rows_answer(filled):
    for bucket in (3600, 7200, 21600, 86400, 172800):
        await _compare(filled, bucket)


async def _compare(filled, bucket: int) -> None:
    _, db, points = filled
    start = series.bucket_start(T0, bucket)
    end = series.bucket_start(points[-1][0].time, bucket) + timedelta(seconds=bucket)
    async with db.sessions() as session:
        raw = await series.history(session, start=start, end=end, bucket_seconds=bucket, resolution=None)
        rolled = await series.history(session, start=start, end=end, bucket_seconds=bucket)
        assert series.source_for(bucket) is not None and len(raw) > 3
        _same(raw, rolled)
        for name in ("eth", "l2"):
            _same(
                await series.history(
                    session, start=start, end=end, bucket_seconds=bucket, deployment=name, resolution=None
                ),
                await series.history(session, start=start, end=end, bucket_seconds=bucket, deployment=name),
            )
    assert sum(b.points for b in raw) == len(points)
    assert min(b.min_ratio_bp for b in raw if b.min_ratio_bp is not None) == min(
        p.ratio_bp for p, _ in points if p.ratio_bp is not None
    )
    assert raw[-1].last_reserves_sat == points[-1][0].reserves_sat  # above 2**53: no precision lost


async def test_rebuilding_the_rollups_gives_what_the_engine_kept(filled):
    url, db, points = filled
    async with db.sessions() as session:
        if await series.rollups_are_views(session):
            # TimescaleDB keeps them itself (continuous aggregates): there is nothing to rebuild, and
            # the plain tables must not exist beside them.
            kinds = (
                await session.exec(
                    text("SELECT relkind FROM pg_class WHERE relname IN ('ratio_rollup', 'supply_rollup')")
                )
            ).all()
            assert sorted(k[0] for k in kinds) == ["v", "v"]
            return
        before = (await session.exec(text("SELECT * FROM ratio_rollup ORDER BY resolution, bucket"))).all()
        supply_before = (await session.exec(text("SELECT * FROM supply_rollup ORDER BY 1, 2, 3"))).all()
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        rebuild_rollups(conn)
    engine.dispose()
    async with db.sessions() as session:
        after = (await session.exec(text("SELECT * FROM ratio_rollup ORDER BY resolution, bucket"))).all()
        supply_after = (await session.exec(text("SELECT * FROM supply_rollup ORDER BY 1, 2, 3"))).all()
    assert [tuple(r) for r in before] == [tuple(r) for r in after] and len(after) > 10
    assert [tuple(r) for r in supply_before] == [tuple(r) for r in supply_after]


async def test_retention_drops_raw_rows_and_keeps_rollups(filled):
    _, db, points = filled
    cut = points[len(points) // 2][0].time
    async with db.sessions() as session:
        views = await series.rollups_are_views(session)
    if views:  # TimescaleDB: a retention policy on each raw hypertable, dropping whole chunks itself
        for days in (90, 0):
            async with db.sessions() as session:
                async with session.begin():
                    await series.apply_retention(session, days)
            async with db.sessions() as session:
                jobs = (
                    await session.exec(
                        text(
                            "SELECT hypertable_name, config FROM timescaledb_information.jobs "
                            "WHERE proc_name = 'policy_retention'"
                        )
                    )
                ).all()
            assert sorted(j[0] for j in jobs) == ([] if days == 0 else ["ratio_point", "supply_point"])
        return
    async with db.sessions() as session:
        async with session.begin():
            dropped = await series.prune_raw(session, older_than=cut)
    assert dropped >= len(points) // 2
    start, end = series.bucket_start(T0, 86400), series.bucket_start(points[-1][0].time, 86400) + timedelta(days=1)
    async with db.sessions() as session:
        daily = await series.history(session, start=start, end=end, bucket_seconds=86400)
        raw = await series.history(session, start=start, end=end, bucket_seconds=86400, resolution=None)
    assert sum(b.points for b in daily) == len(points) and sum(b.points for b in raw) < len(points)
    async with db.sessions() as session:
        first = await series.first_day(session)
    assert first == series.bucket_start(points[0][0].time, 86400)  # the history page's `all` outlives pruning


async def test_first_day_before_any_point(migrated_db_url):
    db = open_database(migrated_db_url)
    async with db.sessions() as session:
        assert await series.first_day(session) is None
    await db.dispose()


async def test_the_history_answer_chooses_nice_buckets_and_whole_ranges(filled):
    _, db, points = filled
    end = points[-1][0].time
    year = await history_mod.history(db, start=end - timedelta(days=365), end=end, bucket_seconds=None)
    assert year["bucket_seconds"] == 64800 and year["source"] == "rollup_3600s" and len(year["points"]) <= 500
    day = await history_mod.history(db, start=end - timedelta(days=1), end=end, bucket_seconds=None)
    assert day["bucket_seconds"] == 300 and day["source"] == "raw"
    assert day["from"].endswith(":00Z") and datetime.fromisoformat(day["to"]) >= end
    one = await history_mod.history(db, start=T0, end=end, bucket_seconds=86400, deployment="eth")
    assert one["deployment"] == "eth" and set(one["points"][0]) == {
        "start",
        "points",
        "min_supply_sat",
        "max_supply_sat",
        "last_supply_sat",
    }


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"start": T0, "end": T0}, "before"),
        ({"start": T0.replace(tzinfo=None), "end": None}, "time zone"),
        ({"start": T0, "end": T0 + timedelta(days=3650), "bucket_seconds": 60}, "too small"),
        ({"start": None, "end": None, "bucket_seconds": 0}, "bucket"),
        ({"start": None, "end": None, "bucket_seconds": 10**9}, "bucket"),
        ({"start": datetime(1999, 1, 1, tzinfo=timezone.utc), "end": None}, "between"),
    ],
)
def test_bad_ranges_are_refused(kwargs, match):
    with pytest.raises(InvalidInput, match=match):
        history_mod.check_range(
            kwargs.get("start"), kwargs.get("end"), kwargs.get("bucket_seconds"), datetime.now(timezone.utc)
        )


def test_nice_buckets():
    assert history_mod.nice_bucket(86400) == 300
    assert history_mod.nice_bucket(7 * 86400) == 1800
    assert history_mod.nice_bucket(365 * 86400) == 64800
    assert history_mod.nice_bucket(10**12) == history_mod.MAX_BUCKET


def test_migrations_match_the_models_of_this_issue(db_url):
    """Migrations 0008 and 0009 create exactly what the models describe (rollups aside: not models)."""
    from reserves.storage import engine_models, supply_series_models  # noqa: F401  (registers the tables)
    from tests.pg import model_drift

    upgrade(db_url)
    ours = (
        "guardian_signature",
        "engine_event",
        "audit_log",
        "anchor_record",
        "supply_point",
        "attestation",
        "signing_key",
    )
    mine = [
        d
        for d in model_drift(db_url)
        if any(f"'{t}'" in repr(d) or f"Table('{t}'" in repr(d) for t in ours) and "rollup" not in repr(d)
    ]
    assert mine == []
