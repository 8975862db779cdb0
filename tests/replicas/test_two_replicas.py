"""Two portal processes on one PostgreSQL database: one leader, one attestation per interval, failover.

Also two runtimes of one process made to believe they both lead (a split brain): the chain lock
and the interval guard still store one attestation per interval, never the same sequence twice.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import pytest

from reserves.settings.load import load_settings
from reserves.snapshot.take import SnapshotNotDue, take_snapshot
from reserves.worker.worker import Worker
from tests.replicas.conftest import stored, verified_chain

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]
INTERVAL = 1.0  # the shortest the settings allow: the waits below count attestations


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"{what} not within {timeout} s")


def _leaders(*ps) -> list:
    return [p for p in ps if (p.health() or {}).get("leader")]


def _check_chain(url: str, key_path) -> list:
    state = verified_chain(url, key_path)
    times = [r.issued_at for r in state["rows"]]
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    # One attestation per interval: never two within half an interval of each other.
    assert all(g >= INTERVAL / 2 for g in gaps), gaps
    return gaps


def test_one_leader_one_attestation_per_interval_and_failover(portal_config, pg_database, portals):
    make, key_path = portal_config
    config = make(interval=INTERVAL)
    a, b = portals(config, "a"), portals(config, "b")
    web = portals(config, "web", role="serve")
    a.wait_up(), b.wait_up()
    leader = _wait_for(lambda: _leaders(a, b), 15, "a leader")
    assert len(leader) == 1
    first, other = leader[0], (b if leader[0] is a else a)
    _wait_for(lambda: len(stored(pg_database)["rows"]) >= 4, 60, "four attestations")
    assert _leaders(a, b) == [first] and not other.health()["leader"]
    # The web role reads it from the workers' status rows: the leader, and both workers alive.
    seen = _wait_for(
        lambda: (web.health() or {}).get("replica") == first.health()["replica"] and web.health(),
        15,
        "the web role naming the leader",
    )
    assert seen["leader"] is True and len(seen["workers"]) == 2 and seen["status"] == "ok"
    before_kill = len(stored(pg_database)["rows"])
    first.kill()
    killed_at = time.monotonic()
    _wait_for(lambda: _leaders(other), 15, "the follower taking the lead")
    took_over = time.monotonic() - killed_at
    _wait_for(lambda: len(stored(pg_database)["rows"]) >= before_kill + 3, 60, "attestations after failover")
    _wait_for(
        lambda: (web.health() or {}).get("replica") == other.health()["replica"],
        15,
        "the web role naming the new leader",
    )
    other.stop()
    web.stop()
    _check_chain(pg_database, key_path)
    print(f"failover: the follower led {took_over:.1f} s after the leader was killed")  # a figure, not a check


async def test_two_workers_that_both_lead_still_store_one_per_interval(portal_config, pg_database):
    make, key_path = portal_config
    settings = load_settings(make(interval=60.0))
    a, b = await Worker.start(settings), await Worker.start(settings)
    try:
        now = datetime.now(timezone.utc)
        for round_ in range(3):
            moment = now + timedelta(seconds=60 * round_)
            results = await asyncio.gather(
                take_snapshot(a.context, now=moment, min_gap_seconds=30),
                take_snapshot(b.context, now=moment, min_gap_seconds=30),
                return_exceptions=True,
            )
            stored_ones = [r for r in results if isinstance(r, dict)]
            refused = [r for r in results if isinstance(r, SnapshotNotDue)]
            assert len(stored_ones) == 1 and len(refused) == 1, results
    finally:
        await a.close()
        await b.close()
    state = verified_chain(pg_database, key_path)
    assert [r.sequence for r in state["rows"]] == [0, 1, 2]
