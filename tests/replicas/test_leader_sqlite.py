"""Leader election on a SQLite file: a lock file beside it, so a second worker on the same file
follows instead of running every job twice; the lead passes on when the leader stops or dies."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from reserves.jobs.leader import AlwaysLeader, FileLockLeader, leadership_for
from reserves.settings.trust import ReplicaSettings

FAST = ReplicaSettings(leader_poll_seconds=0.2, lease_seconds=1.0)

HOLDER = """
import fcntl, sys, time
handle = open(sys.argv[1], "a")
fcntl.flock(handle, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(600)
"""


async def _until(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


def test_a_file_leads_by_lock_and_memory_always_leads(tmp_path):
    leader = leadership_for(f"sqlite:///{tmp_path / 'x.db'}", FAST)
    assert isinstance(leader, FileLockLeader) and leader.path == tmp_path / "x.db.leader.lock"
    assert isinstance(leadership_for("sqlite+aiosqlite:///:memory:", FAST), AlwaysLeader)
    assert AlwaysLeader().is_leader()


async def test_one_of_two_leads_and_the_other_takes_over_when_it_stops(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    a, b = leadership_for(url, FAST), leadership_for(url, FAST)
    await a.start()
    await b.start()
    try:
        assert a.is_leader() and not b.is_leader()
        await asyncio.sleep(0.5)
        assert not b.is_leader()
        await a.stop()
        await _until(b.is_leader)
        assert b.changes == 1
    finally:
        await a.stop()
        await b.stop()


async def test_the_lead_passes_when_the_leading_process_is_killed(tmp_path):
    lock = tmp_path / "x.db.leader.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        follower = leadership_for(f"sqlite:///{tmp_path / 'x.db'}", FAST)
        await follower.start()
        try:
            await asyncio.sleep(0.5)
            assert not follower.is_leader()
            holder.kill()  # SIGKILL: no cleanup; the kernel frees the lock with the process
            holder.wait()
            await _until(follower.is_leader)
        finally:
            await follower.stop()
    finally:
        holder.kill()
        holder.wait()
