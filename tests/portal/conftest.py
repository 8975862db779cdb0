"""A web app and a worker on the real devnet, with no scheduler so tests decide when snapshots happen."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from tests.world import World, world


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> World:
    with world(tmp_path_factory.mktemp("portal")) as w:
        yield w


@pytest.fixture(scope="module")
def client(portal: World) -> TestClient:
    return portal.client


def snapshot(client: TestClient, ticks: int = 1, cosign: bool = True) -> dict:
    """One attestation through the client's world (see tests.world.World.snapshot)."""
    return client.world.snapshot(ticks, cosign)
