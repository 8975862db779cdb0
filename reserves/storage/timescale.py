"""TimescaleDB, when present: the only Timescale DDL of the project, behind a check of pg_extension."""

from __future__ import annotations

import logging

from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import Connection

from reserves.storage.db import sync_url

log = logging.getLogger(__name__)


def timescale_installed(conn: Connection) -> bool:
    """True when the timescaledb extension is installed in this database (never on SQLite)."""
    if conn.dialect.name != "postgresql":
        return False
    return conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")).first() is not None


def make_hypertable(conn: Connection, table: str, time_column: str) -> bool:
    """Turn `table` into a hypertable if TimescaleDB is installed; returns whether it did.

    Without the extension the table stays a plain one and history queries use date_bin.
    """
    if not timescale_installed(conn):
        log.info("timescaledb not installed: %s stays a plain table", table)
        return False
    conn.execute(
        text("SELECT create_hypertable(CAST(:t AS regclass), :c, migrate_data => true, if_not_exists => true)"),
        {"t": table, "c": time_column},
    )
    log.info("%s is a TimescaleDB hypertable", table)
    return True


# The continuous aggregates (real-time: the newest, not yet materialised bucket is computed from
# raw rows at query time) and the views that give them the plain rollup tables' shape.
_RATIO_AGG = """
CREATE MATERIALIZED VIEW {name} WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '{seconds} seconds', time) AS bucket, count(*) AS n,
       min(ratio_bp) AS min_ratio, max(ratio_bp) AS max_ratio, min(reserves_sat) AS min_reserves,
       max(reserves_sat) AS max_reserves, min(liabilities_sat) AS min_liabilities,
       max(liabilities_sat) AS max_liabilities, max(time) AS last_time, max(sequence) AS last_sequence,
       last(ratio_bp, sequence) AS last_ratio, last(reserves_sat, sequence) AS last_reserves,
       last(liabilities_sat, sequence) AS last_liabilities, last(status, sequence) AS last_status
FROM ratio_point GROUP BY 1 WITH NO DATA"""
_SUPPLY_AGG = """
CREATE MATERIALIZED VIEW {name} WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '{seconds} seconds', time) AS bucket, deployment, count(*) AS n,
       min(supply_sat) AS min_supply, max(supply_sat) AS max_supply, max(time) AS last_time,
       max(sequence) AS last_sequence, last(supply_sat, sequence) AS last_supply
FROM supply_point GROUP BY 1, 2 WITH NO DATA"""
AGGREGATES = {"ratio_rollup": _RATIO_AGG, "supply_rollup": _SUPPLY_AGG}
SUFFIX = {3600: "1h", 86400: "1d"}


def create_rollup_aggregates(conn: Connection) -> None:
    """Continuous aggregates per hour and day for both series, a refresh policy each, and the
    union views `ratio_rollup` / `supply_rollup` the history queries read."""
    for view, ddl in AGGREGATES.items():
        parts = []
        for seconds, suffix in SUFFIX.items():
            name = f"{view}_{suffix}"
            conn.execute(text(ddl.format(name=name, seconds=seconds)))
            conn.execute(
                text(
                    "SELECT add_continuous_aggregate_policy(CAST(:n AS regclass), "
                    "start_offset => make_interval(secs => :s), end_offset => make_interval(secs => :e), "
                    "schedule_interval => make_interval(secs => :i))"
                ),
                {"n": name, "s": 3 * seconds, "e": seconds, "i": max(300, seconds // 4)},
            )
            parts.append(f"SELECT {seconds} AS resolution, * FROM {name}")
        conn.execute(text(f"CREATE VIEW {view} AS " + " UNION ALL ".join(parts)))
    log.info("rollups are TimescaleDB continuous aggregates")


def refresh_aggregates(url: str) -> bool:
    """Materialise the continuous aggregates over every raw point still stored; False without them.

    Created WITH NO DATA (a refresh cannot run inside the migration's transaction) and refreshed by
    their policies over recent buckets only, they would otherwise miss every bucket older than the
    first policy run. Run at start, outside any transaction. It starts at the oldest raw point: a
    refresh over a range whose raw chunks retention already dropped would delete those buckets.
    """
    engine = create_engine(sync_url(url), poolclass=pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if (
                not timescale_installed(conn)
                or conn.execute(
                    text(
                        "SELECT 1 FROM timescaledb_information.continuous_aggregates "
                        "WHERE view_name = 'ratio_rollup_1h'"
                    )
                ).first()
                is None
            ):
                return False
            for table in ("ratio_point", "supply_point"):
                oldest = conn.execute(text(f"SELECT min(time) FROM {table}")).scalar()
                if oldest is None:
                    continue
                view = AGGREGATES_OF[table]
                for seconds, suffix in SUFFIX.items():
                    conn.execute(
                        text(
                            f"CALL refresh_continuous_aggregate('{view}_{suffix}', CAST(:start AS timestamptz), "
                            "now() - make_interval(secs => :s))"
                        ),
                        {"start": oldest, "s": seconds},
                    )
            return True
    finally:
        engine.dispose()


AGGREGATES_OF = {"ratio_point": "ratio_rollup", "supply_point": "supply_rollup"}
