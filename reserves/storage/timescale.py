"""TimescaleDB, when present: the only Timescale DDL of the project, behind a check of pg_extension."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.engine import Connection

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
