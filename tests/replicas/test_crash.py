"""A snapshot process killed at each step leaves no partial rows, no gap and no fork; the next run continues.

Each crash is a real process exit (status 137, as SIGKILL gives) at a named step of a real
`reserves snapshot` against the real PostgreSQL server; then a normal run, and the whole chain
in the database must verify with the engine key.
"""

from __future__ import annotations

import random
import time

import pytest

from reserves.snapshot.faults import STEPS
from tests.replicas.conftest import run_snapshot, verified_chain

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]


def test_a_crash_at_every_step_leaves_the_chain_whole(portal_config, pg_database):
    make, key_path = portal_config
    config = make()
    first = run_snapshot(config)
    assert first.returncode == 0, first.stderr[-2000:]
    expected = 1
    for step in STEPS:  # each crash on top of the ones before: none may leave anything half-done
        crashed = run_snapshot(config, crash_at=step)
        assert crashed.returncode == 137, (step, crashed.returncode, crashed.stderr[-2000:])
        assert f"RESERVES_CRASH_AT={step}" in crashed.stderr
        if step == "after_commit":
            expected += 1  # the commit happened: that attestation stays, whole
        state = verified_chain(pg_database, key_path)
        assert len(state["rows"]) == expected, step
    again = run_snapshot(config)  # and the next run continues the chain
    assert again.returncode == 0, again.stderr[-2000:]
    assert len(verified_chain(pg_database, key_path)["rows"]) == expected + 1


def test_sigkill_at_random_moments_of_a_running_worker(portal_config, pg_database, portals):
    """A worker snapshotting every second, killed with SIGKILL at random moments and restarted."""
    make, key_path = portal_config
    config = make(interval=1.0)
    rng = random.Random(5)
    for round_ in range(3):
        portal = portals(config, f"worker-{round_}")
        portal.wait_up()
        time.sleep(rng.uniform(1.5, 3.5))
        portal.kill()
    state = verified_chain(pg_database, key_path)
    assert len(state["rows"]) >= 2
    # And the chain carries on from where the last kill left it.
    assert run_snapshot(config).returncode == 0
    assert len(verified_chain(pg_database, key_path)["rows"]) == len(state["rows"]) + 1
