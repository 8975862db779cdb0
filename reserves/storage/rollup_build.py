"""Building the plain rollup tables from raw points in one statement each (migration 0009, benchmarks).

The engine keeps them current row by row (series.record); this rebuilds them from scratch, for a
database that has raw points but no rollups yet. TimescaleDB has continuous aggregates instead.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from reserves.storage.series import RESOLUTIONS

_RATIO_COLS = (
    "n, min_ratio, max_ratio, min_reserves, max_reserves, min_liabilities, max_liabilities, "
    "last_time, last_sequence, last_ratio, last_reserves, last_liabilities, last_status"
)
_SUPPLY_COLS = "n, min_supply, max_supply, last_time, last_sequence, last_supply"


def _pg(resolution: int, per_deployment: bool) -> str:
    b = f"date_bin(make_interval(secs => {resolution}), time, TIMESTAMPTZ '2000-01-01 00:00:00+00')"

    def last(c: str) -> str:
        return f"(array_agg({c} ORDER BY sequence DESC))[1]"

    if per_deployment:
        return (
            f"INSERT INTO supply_rollup (resolution, bucket, deployment, {_SUPPLY_COLS}) "
            f"SELECT {resolution}, {b}, deployment, count(*), min(supply_sat), max(supply_sat), max(time), "
            f"max(sequence), {last('supply_sat')} FROM supply_point GROUP BY 2, 3"
        )
    return (
        f"INSERT INTO ratio_rollup (resolution, bucket, {_RATIO_COLS}) "
        f"SELECT {resolution}, {b}, count(*), min(ratio_bp), max(ratio_bp), min(reserves_sat), max(reserves_sat), "
        f"min(liabilities_sat), max(liabilities_sat), max(time), max(sequence), {last('ratio_bp')}, "
        f"{last('reserves_sat')}, {last('liabilities_sat')}, {last('status')} FROM ratio_point GROUP BY 2"
    )


def _sqlite(resolution: int, per_deployment: bool) -> str:
    epoch = f"((CAST(strftime('%s', time) AS INTEGER) - 946684800) / {resolution}) * {resolution} + 946684800"
    bucket = f"strftime('%Y-%m-%d %H:%M:%S', {epoch}, 'unixepoch') || '.000000'"
    part = f"{epoch}" + (", deployment" if per_deployment else "")

    def last(c: str) -> str:
        return f"max(CASE WHEN rn = 1 THEN {c} END)"

    if per_deployment:
        return (
            f"INSERT INTO supply_rollup (resolution, bucket, deployment, {_SUPPLY_COLS}) "
            f"SELECT {resolution}, b, deployment, count(*), min(supply_sat), max(supply_sat), max(time), "
            f"max(sequence), {last('supply_sat')} FROM (SELECT {bucket} AS b, *, ROW_NUMBER() OVER "
            f"(PARTITION BY {part} ORDER BY sequence DESC) AS rn FROM supply_point) GROUP BY b, deployment"
        )
    return (
        f"INSERT INTO ratio_rollup (resolution, bucket, {_RATIO_COLS}) "
        f"SELECT {resolution}, b, count(*), min(ratio_bp), max(ratio_bp), min(reserves_sat), max(reserves_sat), "
        f"min(liabilities_sat), max(liabilities_sat), max(time), max(sequence), {last('ratio_bp')}, "
        f"{last('reserves_sat')}, {last('liabilities_sat')}, {last('status')} FROM (SELECT {bucket} AS b, *, "
        f"ROW_NUMBER() OVER (PARTITION BY {part} ORDER BY sequence DESC) AS rn FROM ratio_point) GROUP BY b"
    )


def rebuild_rollups(conn: Connection) -> None:
    """Empty and refill ratio_rollup and supply_rollup from the raw points."""
    build = _pg if conn.dialect.name == "postgresql" else _sqlite
    conn.execute(text("DELETE FROM ratio_rollup"))
    conn.execute(text("DELETE FROM supply_rollup"))
    for resolution in RESOLUTIONS:
        conn.execute(text(build(resolution, False)))
        conn.execute(text(build(resolution, True)))
