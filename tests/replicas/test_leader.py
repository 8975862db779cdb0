"""Leader election on the real PostgreSQL server: one leader, a lost connection loses the lead, a follower takes it."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import psycopg
import pytest

from reserves.jobs.leader import PostgresLeader, _dsn
from reserves.settings.trust import ReplicaSettings
from reserves.storage.repository import LEADER_LOCK_KEY

pytestmark = pytest.mark.postgres
FAST = ReplicaSettings(leader_poll_seconds=0.2, lease_seconds=1.0)


async def _until(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def test_one_leads_and_a_follower_takes_over_when_its_connection_is_killed(pg_database):
    a, b = PostgresLeader(pg_database, FAST), PostgresLeader(pg_database, FAST)
    await a.start()
    await b.start()
    try:
        await _until(lambda: a.is_leader() or b.is_leader())
        await asyncio.sleep(0.6)
        assert a.is_leader() != b.is_leader()  # exactly one
        leader, follower = (a, b) if a.is_leader() else (b, a)
        # The server kills the leader's session (a crash, a failover of the database, an operator).
        with psycopg.connect(_dsn(pg_database), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND granted",
                (LEADER_LOCK_KEY & 0xFFFFFFFF,),
            )
        await _until(lambda: follower.is_leader())
        await _until(lambda: not leader.is_leader())
        await asyncio.sleep(0.6)
        assert follower.is_leader() and not leader.is_leader()  # the old one does not take it back
        assert follower.changes == 1
    finally:
        await a.stop()
        await b.stop()


async def test_stopping_releases_the_lead(pg_database):
    a = PostgresLeader(pg_database, FAST)
    await a.start()
    await _until(a.is_leader)
    await a.stop()
    b = PostgresLeader(pg_database, FAST)
    await b.start()
    try:
        await _until(b.is_leader)
    finally:
        await b.stop()


FROZEN = """
import sys, time, psycopg
conn = psycopg.connect(sys.argv[1], autocommit=True)
assert conn.execute("SELECT pg_try_advisory_lock(%s)", (int(sys.argv[2]),)).fetchone()[0]
print("held", flush=True)
time.sleep(600)  # alive to the kernel (keepalives answered), silent to the database: a stopped leader
"""


async def test_a_follower_ends_a_leader_that_stopped_confirming(pg_database):
    """SIGSTOP, or an event loop stuck: the leader's connection stays up and keeps the lock, so
    without this the follower would never lead (the review watched 95 s of no snapshots)."""
    frozen = subprocess.Popen(
        [sys.executable, "-c", FROZEN, _dsn(pg_database), str(LEADER_LOCK_KEY)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert frozen.stdout.readline().strip() == "held"
        follower = PostgresLeader(pg_database, FAST)
        await follower.start()
        try:
            await asyncio.sleep(0.5)
            assert not follower.is_leader()  # it was just active: not yet silent for two leases
            await _until(follower.is_leader, timeout=10)
        finally:
            await follower.stop()
    finally:
        frozen.kill()
        frozen.wait()


async def test_a_live_leader_is_never_ended(pg_database):
    a, b = PostgresLeader(pg_database, FAST), PostgresLeader(pg_database, FAST)
    await a.start()
    await b.start()
    try:
        await _until(lambda: a.is_leader() or b.is_leader())
        leader, follower = (a, b) if a.is_leader() else (b, a)
        await asyncio.sleep(4 * FAST.lease_seconds)
        assert leader.is_leader() and not follower.is_leader() and leader.changes == 1
    finally:
        await a.stop()
        await b.stop()
