"""A portal app on the real devnet, with the scheduler off so tests decide when snapshots happen."""

from __future__ import annotations


import pytest
from litestar.testing import TestClient

from portal.app import create_app
from reserves.snapshot.take import take_snapshot
from reserves.trust.guardians import devnet_cosign
from reserves.settings.load import default_settings


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = default_settings(tmp_path_factory.mktemp("portal"))
    with TestClient(create_app(settings, run_scheduler=False)) as c:
        yield c


def snapshot(client: TestClient, ticks: int = 1, cosign: bool = True) -> dict:
    """Advance the devnet and take one attestation inside the app's event loop, then (as the
    snapshot job does) let the devnet's guardians co-sign it; returns the envelope as served."""
    rt = client.app.state.runtime
    for _ in range(ticks):
        rt.devnet.tick()
    env = client.blocking_portal.call(take_snapshot, rt)
    if cosign:
        client.blocking_portal.call(devnet_cosign, rt)
    return client.get(f"/api/v1/attestations/{env['id']}").json()
