"""SQL of history queries, per dialect and source (raw rows or a rollup); buckets start at 2000-01-01Z.

PostgreSQL cuts time with date_bin; SQLite with integer epoch arithmetic. Amounts are
numeric(78,0) on PostgreSQL and zero-padded text on SQLite, where min()/max() compare as strings
correctly. "last" is the value of the highest sequence in the bucket.
"""

from __future__ import annotations

_PG_BIN = "date_bin(make_interval(secs => :b), {col}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
_SQ_EPOCH = "CAST(strftime('%s', {col}) AS INTEGER)"


def _pg_last(col: str, order: str) -> str:
    return f"(array_agg({col} ORDER BY {order} DESC))[1]"


def _sqlite_bucket(col: str) -> str:
    return f"(({_SQ_EPOCH.format(col=col)} - 946684800) / :b) * :b + 946684800"


_RATIO_RAW = dict(
    n="count(*)",
    min_r="min(ratio_bp)",
    max_r="max(ratio_bp)",
    min_res="min(reserves_sat)",
    max_res="max(reserves_sat)",
    min_liab="min(liabilities_sat)",
    max_liab="max(liabilities_sat)",
)
_RATIO_LAST_RAW = dict(last_r="ratio_bp", last_res="reserves_sat", last_liab="liabilities_sat", last_status="status")
_RATIO_ROLL = dict(
    n="sum(n)",
    min_r="min(min_ratio)",
    max_r="max(max_ratio)",
    min_res="min(min_reserves)",
    max_res="max(max_reserves)",
    min_liab="min(min_liabilities)",
    max_liab="max(max_liabilities)",
)
_RATIO_LAST_ROLL = dict(
    last_r="last_ratio", last_res="last_reserves", last_liab="last_liabilities", last_status="last_status"
)
_SUPPLY_RAW = dict(n="count(*)", min_s="min(supply_sat)", max_s="max(supply_sat)")
_SUPPLY_LAST_RAW = dict(last_s="supply_sat")
_SUPPLY_ROLL = dict(n="sum(n)", min_s="min(min_supply)", max_s="max(max_supply)")
_SUPPLY_LAST_ROLL = dict(last_s="last_supply")


def history_sql(dialect: str, resolution: int | None, per_deployment: bool) -> str:
    """The SELECT for buckets of :b seconds over [:start, :end), from raw rows (resolution None)
    or the rollup of `resolution` seconds; with `per_deployment`, supply of deployment :d."""
    raw = resolution is None
    if per_deployment:
        table = "supply_point" if raw else "supply_rollup"
        aggs, lasts = (_SUPPLY_RAW, _SUPPLY_LAST_RAW) if raw else (_SUPPLY_ROLL, _SUPPLY_LAST_ROLL)
        where = ["deployment = :d"]
    else:
        table = "ratio_point" if raw else "ratio_rollup"
        aggs, lasts = (_RATIO_RAW, _RATIO_LAST_RAW) if raw else (_RATIO_ROLL, _RATIO_LAST_ROLL)
        where = []
    time_col, order = ("time", "sequence") if raw else ("bucket", "last_sequence")
    if not raw:
        where.append("resolution = :r")
    where += [f"{time_col} >= :start", f"{time_col} < :end"]
    cond = " AND ".join(where)
    if dialect == "postgresql":
        cols = [f"{_PG_BIN.format(col=time_col)} AS bucket"] + [f"{e} AS {a}" for a, e in aggs.items()]
        cols += [f"{_pg_last(c, order)} AS {a}" for a, c in lasts.items()]
        return f"SELECT {', '.join(cols)} FROM {table} WHERE {cond} GROUP BY 1 ORDER BY 1"
    # SQLite: the newest row of each bucket by a window function, then one group per bucket.
    inner_cols = ", ".join(sorted({c for e in aggs.values() for c in _args(e)} | set(lasts.values()) | {order}))
    inner = (
        f"SELECT {_sqlite_bucket(time_col)} AS bucket, {inner_cols}, "
        f"ROW_NUMBER() OVER (PARTITION BY {_sqlite_bucket(time_col)} ORDER BY {order} DESC) AS rn "
        f"FROM {table} WHERE {cond}"
    )
    cols = ["bucket"] + [f"{e} AS {a}" for a, e in aggs.items()]
    cols += [f"max(CASE WHEN rn = 1 THEN {c} END) AS {a}" for a, c in lasts.items()]
    return f"WITH p AS ({inner}) SELECT {', '.join(cols)} FROM p GROUP BY bucket ORDER BY bucket"


def _args(expr: str) -> list[str]:
    inside = expr[expr.index("(") + 1 : expr.rindex(")")]
    return [] if inside == "*" else [inside]
