"""Leader election among portal replicas: one process runs the scheduled jobs, the others wait to take over.

On PostgreSQL the leader holds a session-level advisory lock on a connection of its own. Every
`leader_poll_seconds` a follower tries `pg_try_advisory_lock`, and the leader confirms its
connection still answers. When the leader dies its connection closes and the server releases the
lock at once, so a follower takes over within one poll. When the leader's connection is cut off
without it noticing, it stops leading after `lease_seconds` without a confirmation, while the
server keeps the lock until its keepalives (set per session to give up after more than a lease
of silence) see the connection dead: the two do not lead at once. A job already running when
the lead is lost runs to its end; the chain lock and the unique constraints keep snapshots
single, and the anchor contract refuses an anchor that is not newer.

A leader that is alive to the kernel but does nothing (stopped, or its event loop stuck) keeps
its connection and so the lock: keepalives are answered by the kernel. Its confirmations stop,
though, and a follower sees that in `pg_stat_activity`: when the lock holder's session has been
idle for two leases, the follower ends that session (`pg_terminate_backend`) and takes the lead
in its next round. The frozen leader stopped leading a lease after its last confirmation.

On a SQLite file the leader holds an exclusive `flock` on `<file>.leader.lock` for as long as it
lives (the kernel frees it when the process dies, however it dies); a second worker on the same
file follows and tries again every `leader_poll_seconds`. An in-memory database has one process,
which always leads.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import socket
import time
from pathlib import Path
from typing import IO

import psycopg
from sqlalchemy.engine import make_url

from reserves.settings.trust import ReplicaSettings
from reserves.storage.db import sqlite_file
from reserves.storage.repository import LEADER_LOCK_KEY

log = logging.getLogger(__name__)


STOP_WAIT_SECONDS = 5.0


async def _cancel(task: asyncio.Task | None) -> None:
    """Stop an election loop and wait for it to end, at most STOP_WAIT_SECONDS; stopping must neither
    fail nor hang (a driver call on a killed connection may be slow to honour the cancellation)."""
    if task is None:
        return
    task.cancel()
    done, _pending = await asyncio.wait({task}, timeout=STOP_WAIT_SECONDS)
    if not done:
        log.warning("the leader election loop did not stop within %g s; leaving it", STOP_WAIT_SECONDS)
        return
    try:
        task.result()
    except (asyncio.CancelledError, Exception):  # noqa: BLE001 - its last error is no reason not to stop
        pass


class AlwaysLeader:
    """The single process of an in-memory SQLite database."""

    identity = f"{socket.gethostname()}:{os.getpid()}"

    def is_leader(self) -> bool:
        return True

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class FileLockLeader:
    """Leadership of a SQLite file: an exclusive, non-blocking flock on a file beside it."""

    def __init__(self, path: Path, settings: ReplicaSettings) -> None:
        self.path, self.settings = path, settings
        self.identity = f"{socket.gethostname()}:{os.getpid()}"
        self._handle: IO[str] | None = None
        self._task: asyncio.Task | None = None
        self.changes = 0

    def is_leader(self) -> bool:
        return self._handle is not None

    async def start(self) -> None:
        self._try()
        self._task = asyncio.create_task(self._loop(), name="leader-election")

    async def stop(self) -> None:
        await _cancel(self._task)
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()  # closing the file releases the lock

    async def _loop(self) -> None:
        while self._handle is None:
            await asyncio.sleep(self.settings.leader_poll_seconds)
            self._try()

    def _try(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a")  # noqa: SIM115 - held open for as long as this process leads
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return
        self._handle = handle
        self.changes += 1
        log.info("leader %s: took the lead", self.identity)


def _dsn(url: str) -> str:
    u = make_url(url)
    parts = {
        "host": u.host or "localhost",
        "port": u.port or 5432,
        "dbname": u.database,
        "user": u.username,
        "password": u.password,
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)


class PostgresLeader:
    """Leadership through `pg_try_advisory_lock(LEADER_LOCK_KEY)` on a dedicated connection."""

    def __init__(self, url: str, settings: ReplicaSettings) -> None:
        self.url, self.settings = url, settings
        self.identity = f"{socket.gethostname()}:{os.getpid()}"
        self._conn: psycopg.AsyncConnection | None = None
        self._confirmed_at: float | None = None
        self._task: asyncio.Task | None = None
        self.changes = 0  # how many times this process took the lead (tests and logs)

    def is_leader(self) -> bool:
        at = self._confirmed_at
        return at is not None and time.monotonic() - at <= self.settings.lease_seconds

    async def start(self) -> None:
        await self._round()
        self._task = asyncio.create_task(self._loop(), name="leader-election")

    async def stop(self) -> None:
        await _cancel(self._task)
        await self._drop()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.leader_poll_seconds)
            await self._round()

    async def _round(self) -> None:
        timeout = self.settings.leader_poll_seconds
        try:
            await asyncio.wait_for(self._confirm_or_try(), timeout)
        except Exception as exc:  # noqa: BLE001 - a lost connection means a lost lead, never a dead loop
            if self._confirmed_at is not None:
                log.warning("leader %s: lost the lead (%s)", self.identity, type(exc).__name__)
            self._confirmed_at = None
            await self._drop()

    async def _confirm_or_try(self) -> None:
        if self._conn is None or self._conn.closed:
            # A new connection holds no lock: whatever this process led on is gone with the old one.
            self._confirmed_at = None
            # The server frees the lock of a vanished leader once its keepalives give up: after
            # idle + interval x count seconds of silence, which is longer than the lease, so the old
            # leader has stopped (it could not confirm for a whole lease) before anyone can take over.
            idle = int(self.settings.lease_seconds) + 1
            self._conn = await psycopg.AsyncConnection.connect(
                _dsn(self.url),
                autocommit=True,
                connect_timeout=5,
                keepalives=1,
                keepalives_idle=idle,
                keepalives_interval=1,
                keepalives_count=3,
                options=f"-c tcp_keepalives_idle={idle} -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3",
            )
        if self._confirmed_at is not None:
            await (await self._conn.execute("SELECT 1")).fetchone()
            self._confirmed_at = time.monotonic()
            return
        row = await (await self._conn.execute("SELECT pg_try_advisory_lock(%s)", (LEADER_LOCK_KEY,))).fetchone()
        if row and row[0]:
            self._confirmed_at = time.monotonic()
            self.changes += 1
            log.info("leader %s: took the lead", self.identity)
            return
        await self._end_a_silent_leader()

    async def _end_a_silent_leader(self) -> None:
        """End the lock holder's session when it has not confirmed for two leases (it confirms
        every poll while it runs); the lock is then free for the next round."""
        assert self._conn is not None
        cursor = await self._conn.execute(
            "SELECT a.pid, pg_terminate_backend(a.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 1"
            " AND a.pid <> pg_backend_pid() AND a.state = 'idle'"
            " AND a.state_change < now() - make_interval(secs => %s)",
            ((LEADER_LOCK_KEY >> 32) & 0xFFFFFFFF, LEADER_LOCK_KEY & 0xFFFFFFFF, 2 * self.settings.lease_seconds),
        )
        for pid, ended in await cursor.fetchall():
            log.warning(
                "leader %s: the leader's session %s was silent for two leases; ended: %s", self.identity, pid, ended
            )

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await asyncio.wait_for(conn.close(), STOP_WAIT_SECONDS)
            except Exception:  # noqa: BLE001 - the connection is gone either way (a timeout included)
                pass


def leadership_for(url: str, settings: ReplicaSettings) -> PostgresLeader | FileLockLeader | AlwaysLeader:
    if make_url(url).get_backend_name() == "postgresql":
        return PostgresLeader(url, settings)
    database = sqlite_file(url)
    return (
        AlwaysLeader()
        if database is None
        else FileLockLeader(database.with_name(database.name + ".leader.lock"), settings)
    )
