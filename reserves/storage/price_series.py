"""SQL of the price series: store a round, the newest round, the round at a time, history, pruning.

Buckets start at 2000-01-01T00:00:00Z as the ratio's do (reserves.storage.series); a history is read
from the hourly or daily rollup when its bucket is a multiple of one, else from the raw rounds, and
the answer is the same either way. "last" is the newest round of the bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import case, delete, func, text
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from reserves.storage.price_models import PricePoint, PriceRollup, PriceSourcePoint
from reserves.storage.series import RESOLUTIONS, bucket_start, source_for

__all__ = [
    "PriceBucket",
    "as_utc",
    "first_round",
    "history",
    "last_values",
    "latest",
    "prune",
    "record",
    "source_for",
    "verdicts",
]

_ROLL = PriceRollup.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PriceBucket:
    """Rounds in one bucket: how many, how many fresh, min/max/last price_e8 (None: no price)."""

    start: datetime
    rounds: int
    fresh: int
    min_e8: int | None
    max_e8: int | None
    last_e8: int | None
    last_status: str


def _upsert(dialect: str, values: dict):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(_ROLL).values(**values)
    ex, t = stmt.excluded, _ROLL.c

    def pick(new, old, better):
        return case((new.is_(None), old), (old.is_(None), new), (better, new), else_=old)

    newer = ex.last_time >= t.last_time
    updates = {
        "n": t.n + 1,
        "fresh": t.fresh + ex.fresh,
        "min_price": pick(ex.min_price, t.min_price, ex.min_price < t.min_price),
        "max_price": pick(ex.max_price, t.max_price, ex.max_price > t.max_price),
        **{c: case((newer, ex[c]), else_=t[c]) for c in ("last_time", "last_price", "last_status")},
    }
    return stmt.on_conflict_do_update(index_elements=["resolution", "bucket", "pair"], set_=updates)


async def record(session, point: PricePoint, sources: list[PriceSourcePoint]) -> None:
    """Add one round and its verdicts and fold it into the rollups (the caller commits)."""
    session.add(point)
    for row in sources:
        session.add(row)
    await session.flush()
    dialect = session.bind.dialect.name
    for resolution in RESOLUTIONS:
        values = dict(
            resolution=resolution,
            bucket=bucket_start(point.time, resolution),
            pair=point.pair,
            n=1,
            fresh=int(point.status == "fresh"),
            min_price=point.price_e8,
            max_price=point.price_e8,
            last_time=point.time,
            last_price=point.price_e8,
            last_status=point.status,
        )
        await session.exec(_upsert(dialect, values))


async def latest(session, pair: str, at: datetime | None = None) -> PricePoint | None:
    """The newest round of `pair` (at or before `at` when given)."""
    stmt = select(PricePoint).where(col(PricePoint.pair) == pair)
    if at is not None:
        stmt = stmt.where(col(PricePoint.time) <= at.astimezone(timezone.utc))
    return (await session.exec(stmt.order_by(col(PricePoint.time).desc()).limit(1))).first()


async def verdicts(session, pair: str, time: datetime) -> list[PriceSourcePoint]:
    """The verdicts of the round of `pair` at `time`, in source order."""
    stmt = (
        select(PriceSourcePoint)
        .where(col(PriceSourcePoint.pair) == pair, col(PriceSourcePoint.time) == time)
        .order_by(col(PriceSourcePoint.source))
    )
    return list((await session.exec(stmt)).all())


async def last_values(session, pair: str, sources: list[str], after: datetime) -> list[PriceSourcePoint]:
    """For each of `sources`, its newest verdict with a value (and a `since`) at or after `after`."""
    stmt = (
        select(PriceSourcePoint)
        .where(
            col(PriceSourcePoint.pair) == pair,
            col(PriceSourcePoint.source).in_(sources),
            col(PriceSourcePoint.time) >= after,
            col(PriceSourcePoint.value).is_not(None),
            col(PriceSourcePoint.since).is_not(None),
        )
        .order_by(col(PriceSourcePoint.time).desc())
    )
    newest: dict[str, PriceSourcePoint] = {}
    for row in (await session.exec(stmt)).all():
        newest.setdefault(row.source, row)
    return list(newest.values())


_PG_BIN = "date_bin(make_interval(secs => :b), {c}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
_SQ_BIN = "((CAST(strftime('%s', {c}) AS INTEGER) - 946684800) / :b) * :b + 946684800"


def history_sql(dialect: str, raw: bool) -> str:
    """Buckets of :b seconds of pair :p over [:start, :end), from rounds or the rollup of :r."""
    if raw:
        table, tcol, order = "price_point", "time", "time"
        n, fresh = "count(*)", "sum(CASE WHEN status = 'fresh' THEN 1 ELSE 0 END)"
        lo, hi, last, status = "min(price_e8)", "max(price_e8)", "price_e8", "status"
        where = "pair = :p AND time >= :start AND time < :end"
    else:
        table, tcol, order = "price_rollup", "bucket", "last_time"
        n, fresh, lo, hi, last, status = (
            "sum(n)",
            "sum(fresh)",
            "min(min_price)",
            "max(max_price)",
            "last_price",
            "last_status",
        )
        where = "pair = :p AND resolution = :r AND bucket >= :start AND bucket < :end"
    aggs = f"{n} AS n, {fresh} AS fresh, {lo} AS lo, {hi} AS hi"
    if dialect == "postgresql":
        b = _PG_BIN.format(c=tcol)
        lasts = ", ".join(
            f"(array_agg({c} ORDER BY {order} DESC))[1] AS {a}" for c, a in ((last, "last"), (status, "st"))
        )
        return f"SELECT {b} AS bucket, {aggs}, {lasts} FROM {table} WHERE {where} GROUP BY 1 ORDER BY 1"
    b = _SQ_BIN.format(c=tcol)
    rank = f"ROW_NUMBER() OVER (PARTITION BY {b} ORDER BY {order} DESC) AS rn"
    used = "time, price_e8, status" if raw else "n, fresh, min_price, max_price, last_time, last_price, last_status"
    inner = f"SELECT {b} AS bucket, {used}, {rank} FROM {table} WHERE {where}"
    lasts = f"max(CASE WHEN rn = 1 THEN {last} END) AS last, max(CASE WHEN rn = 1 THEN {status} END) AS st"
    return f"WITH q AS ({inner}) SELECT bucket, {aggs}, {lasts} FROM q GROUP BY bucket ORDER BY bucket"


def as_utc(value) -> datetime:
    """A stored time as tz-aware UTC (SQLite gives naive datetimes back)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return datetime.fromtimestamp(int(value), timezone.utc)


def _int(value) -> int | None:
    return None if value is None else int(value)


def _sqlite_ts(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


async def history(
    session, pair: str, *, start: datetime, end: datetime, bucket_seconds: int, raw: bool | None = None
) -> list[PriceBucket]:
    """Buckets over [start, end), both aligned by the caller; `raw` None picks the rollup that fits."""
    resolution = None if raw else source_for(bucket_seconds)
    dialect = session.bind.dialect.name
    params = {"p": pair, "start": start, "end": end, "b": bucket_seconds, "r": resolution}
    if dialect != "postgresql":
        params.update(start=_sqlite_ts(start), end=_sqlite_ts(end))
    rows = (await session.exec(text(history_sql(dialect, resolution is None)), params=params)).all()
    return [
        PriceBucket(as_utc(r.bucket), int(r.n), int(r.fresh), _int(r.lo), _int(r.hi), _int(r.last), r.st) for r in rows
    ]


async def prune(session, *, older_than: datetime) -> int:
    """Delete rounds and verdicts before `older_than`; the rollups stay."""
    n = 0
    for model in (PriceSourcePoint, PricePoint):
        result = await session.exec(delete(model).where(col(model.time) < older_than))
        n += result.rowcount or 0
    return n


async def first_round(session, pair: str) -> datetime | None:
    """The daily bucket of the first round of `pair` (from the rollup, which outlives pruning)."""
    stmt = sa_select(func.min(_ROLL.c.bucket)).where(_ROLL.c.resolution == RESOLUTIONS[0], _ROLL.c.pair == pair)
    value = (await (await session.connection()).execute(stmt)).scalar()
    return None if value is None else as_utc(value)
