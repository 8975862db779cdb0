"""Run the Alembic migrations in migrations/ against a database URL."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from reserves.errors import StorageError
from reserves.storage.db import SQLITE_OPEN_RETRY_SECONDS, safe_url, sqlite_file, sync_url

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolation would choke on a '%' in a password.
    cfg.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return cfg


# Held while migrating, so that replicas starting together migrate one after the other.
MIGRATION_LOCK_KEY = 0x52455345_0004


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at `url` to `revision` (creates the SQLite file if needed).

    On PostgreSQL a session advisory lock, held on a connection of its own, makes concurrent
    callers wait for each other; the second then finds the schema current and does nothing.
    """
    lock_engine = lock = None
    try:
        if sync_url(url).startswith("postgresql"):
            lock_engine = create_engine(sync_url(url), poolclass=pool.NullPool)
            lock = lock_engine.connect()
            lock.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        with _file_lock(url):
            command.upgrade(alembic_config(url), revision)
            _write_ahead_log(url)
    except SQLAlchemyError as exc:
        reason = exc.orig if hasattr(exc, "orig") else exc
        raise StorageError(f"migration of {safe_url(url)} failed: {exc.__class__.__name__}: {reason}") from exc
    finally:
        if lock is not None:
            lock.close()  # the session lock goes with its connection
        if lock_engine is not None:
            lock_engine.dispose()


@contextmanager
def _file_lock(url: str) -> Iterator[None]:
    """On a SQLite file, an exclusive lock on `<file>.migrate.lock`: the web and worker processes
    started together migrate one after the other (elsewhere, nothing)."""
    database = sqlite_file(url)
    if database is None:
        yield
        return
    path = database.with_name(database.name + ".migrate.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _write_ahead_log(url: str) -> None:
    """A SQLite file is switched to WAL here, by one connection under the migration lock: a switch
    that races the open connections of a running portal fails at once ("database is locked")."""
    if sqlite_file(url) is None:
        return
    engine = create_engine(sync_url(url), poolclass=pool.NullPool, connect_args={"timeout": 30})
    deadline = time.monotonic() + SQLITE_OPEN_RETRY_SECONDS
    try:
        while True:
            try:
                with engine.connect() as conn:
                    if str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).lower() != "wal":
                        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
                return
            except OperationalError as exc:  # a running portal's write refuses the switch at once: retried
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(0.05)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
