"""The time series: ratio, reserves and supply per snapshot, hourly and daily rollups, bucketed history.

Raw rows: `ratio_point` (ratio, reserves, supply total, status) and `supply_point` (supply per
deployment), one per snapshot. Rollups per hour and per day hold count, min, max and the last
value of each bucket (`ratio_rollup`, `supply_rollup`, keyed by `resolution` in seconds):

- TimescaleDB: the raw tables are hypertables and the rollups are continuous aggregates
  (real-time, so the newest bucket is complete too) behind views of the same names; a retention
  policy drops old raw chunks (migration 0009 and `apply_retention`).
- PostgreSQL and SQLite: the rollups are tables the engine upserts in the snapshot's
  transaction (`record`); old raw rows are deleted by `prune_raw`.

A history query is served from the coarsest series whose resolution divides the bucket size
(buckets start at 2000-01-01T00:00:00Z, whole hours and days), else from the raw rows; the
answer is the same either way (tests compare them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, case, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from reserves.storage.models import RatioPoint
from reserves.storage.series_sql import history_sql
from reserves.storage.supply_series_models import SupplyPoint
from reserves.storage.types import Amount

RESOLUTIONS = (86400, 3600)  # coarsest first
EPOCH_2000 = 946684800  # 2000-01-01T00:00:00Z, the buckets' origin

_meta = MetaData()
ratio_rollup = Table(
    "ratio_rollup",
    _meta,
    Column("resolution", Integer, primary_key=True),
    Column("bucket", DateTime(timezone=True), primary_key=True),
    Column("n", BigInteger, nullable=False),
    Column("min_ratio", Amount()),
    Column("max_ratio", Amount()),
    Column("min_reserves", Amount()),
    Column("max_reserves", Amount()),
    Column("min_liabilities", Amount()),
    Column("max_liabilities", Amount()),
    Column("last_time", DateTime(timezone=True)),
    Column("last_sequence", BigInteger),
    Column("last_ratio", Amount()),
    Column("last_reserves", Amount()),
    Column("last_liabilities", Amount()),
    Column("last_status", String(32)),
)
supply_rollup = Table(
    "supply_rollup",
    _meta,
    Column("resolution", Integer, primary_key=True),
    Column("bucket", DateTime(timezone=True), primary_key=True),
    Column("deployment", String(64), primary_key=True),
    Column("n", BigInteger, nullable=False),
    Column("min_supply", Amount()),
    Column("max_supply", Amount()),
    Column("last_time", DateTime(timezone=True)),
    Column("last_sequence", BigInteger),
    Column("last_supply", Amount()),
)
_MINMAX = {
    ratio_rollup: [
        ("min_ratio", "max_ratio"),
        ("min_reserves", "max_reserves"),
        ("min_liabilities", "max_liabilities"),
    ],
    supply_rollup: [("min_supply", "max_supply")],
}
_LAST = {
    ratio_rollup: ["last_time", "last_sequence", "last_ratio", "last_reserves", "last_liabilities", "last_status"],
    supply_rollup: ["last_time", "last_sequence", "last_supply"],
}


def bucket_start(moment: datetime, seconds: int) -> datetime:
    epoch = int(moment.astimezone(timezone.utc).timestamp())
    return datetime.fromtimestamp(EPOCH_2000 + (epoch - EPOCH_2000) // seconds * seconds, timezone.utc)


async def rollups_are_views(session) -> bool:
    """True on TimescaleDB, where the rollups are continuous aggregates the database maintains."""
    if session.bind.dialect.name != "postgresql":
        return False
    found = await session.exec(
        text(
            "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'ratio_rollup' AND n.nspname = current_schema()"
        )
    )
    kind = found.first()
    return kind is not None and kind[0] == "v"


def _upsert(dialect: str, table: Table, values: dict):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(**values)
    ex, keys = stmt.excluded, [c.name for c in table.primary_key.columns]
    updates = {"n": table.c.n + 1}
    for low, high in _MINMAX[table]:
        updates[low] = case(
            (ex[low].is_(None), table.c[low]),
            (table.c[low].is_(None), ex[low]),
            (ex[low] < table.c[low], ex[low]),
            else_=table.c[low],
        )
        updates[high] = case(
            (ex[high].is_(None), table.c[high]),
            (table.c[high].is_(None), ex[high]),
            (ex[high] > table.c[high], ex[high]),
            else_=table.c[high],
        )
    newer = ex.last_sequence >= table.c.last_sequence
    for name in _LAST[table]:
        updates[name] = case((newer, ex[name]), else_=table.c[name])
    return stmt.on_conflict_do_update(index_elements=keys, set_=updates)


async def record(session, point: RatioPoint, deployments: list[tuple[str, str, int]]) -> None:
    """Write one snapshot's supply points and (without TimescaleDB) fold it into the rollups.

    `point` was added by the caller; `deployments` is (name, chain_id, supply_sat) per read one.
    """
    for name, chain_id, supply in deployments:
        session.add(
            SupplyPoint(time=point.time, sequence=point.sequence, deployment=name, chain_id=chain_id, supply_sat=supply)
        )
    await session.flush()
    if await rollups_are_views(session):
        return
    dialect = session.bind.dialect.name
    for resolution in RESOLUTIONS:
        bucket = bucket_start(point.time, resolution)
        common = dict(resolution=resolution, bucket=bucket, n=1, last_time=point.time, last_sequence=point.sequence)
        await session.exec(
            _upsert(
                dialect,
                ratio_rollup,
                dict(
                    common,
                    min_ratio=point.ratio_bp,
                    max_ratio=point.ratio_bp,
                    min_reserves=point.reserves_sat,
                    max_reserves=point.reserves_sat,
                    min_liabilities=point.liabilities_sat,
                    max_liabilities=point.liabilities_sat,
                    last_ratio=point.ratio_bp,
                    last_reserves=point.reserves_sat,
                    last_liabilities=point.liabilities_sat,
                    last_status=point.status,
                ),
            )
        )
        for name, _chain, supply in deployments:
            await session.exec(
                _upsert(
                    dialect,
                    supply_rollup,
                    dict(common, deployment=name, min_supply=supply, max_supply=supply, last_supply=supply),
                )
            )


@dataclass(frozen=True)
class Bucket:
    """One history bucket: count, min/max/last ratio, reserves and supply (liabilities), last status."""

    start: datetime
    points: int
    min_ratio_bp: int | None
    max_ratio_bp: int | None
    last_ratio_bp: int | None
    min_reserves_sat: int
    max_reserves_sat: int
    last_reserves_sat: int
    min_liabilities_sat: int
    max_liabilities_sat: int
    last_liabilities_sat: int
    last_status: str


@dataclass(frozen=True)
class SupplyBucket:
    start: datetime
    points: int
    min_supply_sat: int
    max_supply_sat: int
    last_supply_sat: int


def source_for(bucket_seconds: int) -> int | None:
    """The rollup resolution that serves buckets of this size, or None for the raw rows."""
    return next((r for r in RESOLUTIONS if bucket_seconds % r == 0), None)


async def first_day(session) -> datetime | None:
    """The daily bucket of the first stored point, from the daily rollup: it outlives the raw rows
    that retention prunes, and is one indexed row; None before the first point."""
    stmt = select(func.min(ratio_rollup.c.bucket)).where(ratio_rollup.c.resolution == RESOLUTIONS[0])
    value = (await (await session.connection()).execute(stmt)).scalar()
    return None if value is None else _ts(value)


def _ts(value) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return datetime.fromtimestamp(int(value), timezone.utc)


def _int(value) -> int | None:
    return None if value is None else int(value)


async def history(
    session,
    *,
    start: datetime,
    end: datetime,
    bucket_seconds: int,
    deployment: str | None = None,
    resolution: int | None | Literal["auto"] = "auto",
) -> list:
    """Buckets over [start, end) (both aligned to `bucket_seconds` by the caller).

    `resolution` "auto" picks the rollup that divides the bucket (None forces raw rows; a number
    forces that rollup). With `deployment`, that deployment's supply buckets instead.
    """
    chosen = source_for(bucket_seconds) if resolution == "auto" else resolution
    dialect = session.bind.dialect.name
    sql = history_sql(dialect, chosen, deployment is not None)
    params = {"start": start, "end": end, "b": bucket_seconds, "r": chosen, "d": deployment}
    if dialect != "postgresql":
        params.update(start=_sqlite_ts(start), end=_sqlite_ts(end))
    rows = (await session.exec(text(sql), params=params)).all()
    if deployment is not None:
        return [SupplyBucket(_ts(r.bucket), int(r.n), int(r.min_s), int(r.max_s), int(r.last_s)) for r in rows]
    return [
        Bucket(
            _ts(r.bucket),
            int(r.n),
            _int(r.min_r),
            _int(r.max_r),
            _int(r.last_r),
            int(r.min_res),
            int(r.max_res),
            int(r.last_res),
            int(r.min_liab),
            int(r.max_liab),
            int(r.last_liab),
            r.last_status,
        )
        for r in rows
    ]


def _sqlite_ts(dt: datetime) -> str:
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC.
    return dt.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


async def prune_raw(session, *, older_than: datetime) -> int:
    """Delete raw points before `older_than` (PostgreSQL without TimescaleDB, SQLite); rollups stay."""
    n = 0
    for model in (RatioPoint, SupplyPoint):
        result = await session.exec(delete(model).where(col(model.time) < older_than))
        n += result.rowcount or 0
    return n


async def apply_retention(session, days: int) -> None:
    """TimescaleDB: (re)set the raw tables' retention policy to `days` (0 removes it)."""
    for table in ("ratio_point", "supply_point"):
        await session.exec(text(f"SELECT remove_retention_policy('{table}', if_exists => true)"))
        if days:
            await session.exec(
                text(f"SELECT add_retention_policy('{table}', make_interval(days => :d))"), params={"d": days}
            )


def retention_cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
