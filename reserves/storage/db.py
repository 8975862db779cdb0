"""Database engines: the async one the app uses, the sync one migrations use, from one URL."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.util import await_only
from sqlmodel.ext.asyncio.session import AsyncSession

from reserves.errors import ConfigError


def sync_url(url: str) -> str:
    """The URL for synchronous use (Alembic): sqlite:/// or postgresql+psycopg://."""
    u = _parse(url)
    if u.get_backend_name() == "sqlite":
        return u.set(drivername="sqlite").render_as_string(hide_password=False)
    return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for an in-memory one or another server."""
    if not sync_url(url).startswith("sqlite"):
        return None
    database = make_url(sync_url(url)).database
    return Path(database) if database and database != ":memory:" else None


def async_url(url: str) -> str:
    """The URL for the async engine: sqlite+aiosqlite:// or postgresql+psycopg:// (psycopg 3 is both)."""
    u = _parse(url)
    if u.get_backend_name() == "sqlite":
        return u.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def safe_url(url: str) -> str:
    """The URL with its password masked, for logs and errors."""
    return _parse(url).render_as_string(hide_password=True)


def _parse(url: str):
    try:
        u = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database.url: not a database URL ({exc})") from exc
    if u.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"database.url: unsupported backend {u.get_backend_name()!r} (sqlite or postgresql)")
    return u


@dataclass
class Database:
    """The async engine and its session factory."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def dispose(self) -> None:
        await self.engine.dispose()


# How long a new SQLite connection retries the "database is locked" SQLite gives it, without waiting,
# while the write-ahead log is being recovered or checkpointed by another connection.
SQLITE_OPEN_RETRY_SECONDS = 10.0


def open_database(url: str) -> Database:
    """Open (not create) the database at `url`; the schema comes from migrations."""
    aurl = async_url(url)
    kwargs: dict = {}
    if aurl.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
        if ":memory:" in aurl or aurl.endswith("://"):
            kwargs["poolclass"] = StaticPool
    else:
        # A blackholed server must fail a request in seconds, not hang it for minutes.
        kwargs.update(
            pool_pre_ping=True, pool_size=5, max_overflow=5, pool_timeout=10, connect_args={"connect_timeout": 10}
        )
    engine = create_async_engine(aurl, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return Database(engine, async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False))


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets the dashboard read while the snapshot job writes. It is the file's own setting, so only
    # the first connection ever switches it; each later one checks it (no lock needed once it is WAL).
    deadline = time.monotonic() + SQLITE_OPEN_RETRY_SECONDS
    while True:
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA journal_mode")
            if str(cur.fetchone()[0]).lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            return
        except sqlite3.OperationalError as exc:
            # SQLite answers "locked" at once, without its busy handler, while another connection
            # recovers or checkpoints the write-ahead log (as the last one to close does): retried.
            transient = "locked" in str(exc) or "busy" in str(exc)
            if not transient or time.monotonic() > deadline:
                raise
        finally:
            cur.close()
        # Inside the async engine's connect (a greenlet on the event loop's thread): an asyncio sleep,
        # so other requests go on meanwhile.
        await_only(asyncio.sleep(0.05))
