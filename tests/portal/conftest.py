"""A portal app on the real devnet, with the scheduler off so tests decide when snapshots happen."""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar.testing import TestClient

from portal.app import create_app
from reserves.engine import take_snapshot
from reserves.settings import default_settings


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = default_settings(tmp_path_factory.mktemp("portal"))
    with TestClient(create_app(settings, run_scheduler=False)) as c:
        yield c


def snapshot(client: TestClient, ticks: int = 1) -> dict:
    """Advance the devnet and take one attestation inside the app's event loop."""
    rt = client.app.state.runtime
    for _ in range(ticks):
        rt.devnet.tick()
    return client.blocking_portal.call(take_snapshot, rt)
