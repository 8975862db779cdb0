"""A SQLite file in WAL mode however its connections race: the migration switches it, and a
connection that meets the instant "database is locked" of a switch in progress retries."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

from sqlalchemy import text

from reserves.storage.db import open_database
from reserves.storage.migrate import upgrade


def _mode(path) -> str:
    with sqlite3.connect(path) as con:
        return con.execute("PRAGMA journal_mode").fetchone()[0]


def test_the_migration_leaves_the_file_in_wal_mode(tmp_path):
    path = tmp_path / "reserves.db"
    upgrade(f"sqlite:///{path}")
    assert _mode(path) == "wal"


def test_a_connection_retries_the_switch_that_a_write_in_progress_refuses_at_once(tmp_path):
    path = tmp_path / "plain.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    assert _mode(path) == "delete"
    # Without the retry this is the instant failure: SQLite does not call its busy handler when the
    # switch to WAL would have to wait on a reader that is about to write (a deadlock to it).
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        con.execute("BEGIN")
        con.execute("SELECT * FROM t").fetchall()
        con.execute("INSERT INTO t VALUES (1)")
        holding.set()
        release.wait(5)
        con.execute("COMMIT")
        con.close()

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(5)
    with sqlite3.connect(path, timeout=30) as probe:  # a 30 s busy handler, which SQLite does not call
        try:
            probe.execute("PRAGMA journal_mode=WAL")
            raise AssertionError("the switch should have been refused while the write is open")
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)

    async def connect() -> int:
        db = open_database(f"sqlite:///{path}")
        try:
            async with db.engine.connect() as conn:
                return (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
        finally:
            await db.dispose()

    async def connect_while_the_loop_ends_the_write() -> int:
        async def end_the_write() -> None:
            await asyncio.sleep(0.2)
            release.set()

        # The write ends from the event loop, while the connection retries: other work goes on.
        count, _ = await asyncio.gather(connect(), end_the_write())
        return count

    assert asyncio.run(connect_while_the_loop_ends_the_write()) == 1
    thread.join(5)
    assert _mode(path) == "wal"
