"""Point-in-time reserves through the admin API, the service and the CLI, on the real devnet."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from portal.cli.main import main
from portal.worker_app import create_worker_app
from reserves.admin.service import AdminKeyService
from reserves.settings.model import AdminSettings, SourceSettings
from reserves.snapshot.point_in_time import UNSUPPORTED, reserves_at
from reserves.snapshot.sources import Source
from reserves.snapshot.take import take_snapshot
from reserves.worker.worker import Worker
from tests.doubles.adapters import ScriptedReserveAdapter, reserve_reading
from tests.engine_rig import Cfg
from tests.world import devnet_settings, start_devnet

TOKEN = "p" * 32
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def devnet():
    proc = start_devnet()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def client(tmp_path_factory, devnet):
    """The worker's own app (the admin route reads a chain, so the worker serves it)."""
    settings = devnet_settings(tmp_path_factory.mktemp("pit"), devnet, admin=AdminSettings(token=TOKEN))
    worker = Worker(settings)
    with TestClient(create_worker_app(worker)) as c:
        c.blocking_portal.call(worker.open)
        c.worker, c.devnet = worker, devnet.devnet
        snapshot(c, ticks=3)
        yield c
        c.blocking_portal.call(worker.close)


def snapshot(client: TestClient, ticks: int = 1) -> dict:
    for _ in range(ticks):
        client.devnet.tick()
    return client.blocking_portal.call(take_snapshot, client.worker.context)


def _at(client, height) -> dict:
    r = client.get(f"/admin/v1/reserves/at/{height}", headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


def test_at_the_attested_tip_the_answer_is_the_attestation(client):
    envelope = snapshot(client)
    body = envelope["attestation"]
    tip = body["reserves"]["valid_at"]["height"]
    answer = _at(client, tip)
    assert answer["complete"] is True and answer["valid_at"] == body["reserves"]["valid_at"]
    assert answer["total_sat"] == body["reserves"]["total_sat"]
    assert answer["spendable_sat"] == body["reserves"]["spendable_sat"]
    assert answer["locked_sat"] == body["reserves"]["locked_sat"]
    attested = {(u["txid"], u["vout"]) for s in body["reserves"]["sources"] for u in s["utxos"]}
    answered = {(u["txid"], u["vout"]) for s in answer["sources"] for u in s["utxos"]}
    assert answered == attested


def test_an_earlier_height_holds_what_the_chain_held_then(client):
    chain = client.devnet.chain
    tip = chain.tip_height
    before = _at(client, tip - 8)
    assert before["valid_at"]["height"] == tip - 8
    assert before["valid_at"]["block_hash"] == chain.block_at(tip - 8).hash
    # No output in it may be younger than H allows; before any deposit there were no reserves at all.
    assert _at(client, 1)["total_sat"] == "0" and _at(client, 1)["complete"] is True
    for source in before["sources"]:
        for u in source["utxos"]:
            assert u["height"] <= tip - 8 - source["min_confirmations"] + 1


@pytest.mark.parametrize("height", ["abc", "-1", "2147483648", "99999999999", "1e3", "%20", "0x10"])
def test_bad_heights_are_400(client, height):
    r = client.get(f"/admin/v1/reserves/at/{height}", headers=AUTH)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input", r.text


def test_a_height_above_the_tip_is_a_failed_source_not_a_figure(client):
    answer = _at(client, 2**31 - 1)
    assert answer["complete"] is False and answer["total_sat"] == "0"
    assert all("error" in s for s in answer["sources"])


def test_the_route_needs_the_token(client):
    r = client.get("/admin/v1/reserves/at/10")
    assert r.status_code == 401


def test_a_source_without_history_is_listed_as_unable(client):
    double = ScriptedReserveAdapter("core-like", reading=reserve_reading("core-like", [5]))
    extra = Source(SourceSettings("core-like", "bitcoin-core-rpc", "reserve", Cfg(600)), double)
    sources = [*client.worker.sources.reserve, extra]
    answer = client.blocking_portal.call(
        lambda: reserves_at(sources, client.devnet.chain.tip_height, timeout=30, count_locked=True)
    )
    failed = [s for s in answer["sources"] if "error" in s]
    assert [s["error"]["code"] for s in failed] == [UNSUPPORTED]
    assert answer["complete"] is False


def test_cli_prints_json_and_exits_by_completeness(tmp_path, monkeypatch, devnet):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "portal.toml"
    config.write_text(f'[devnet]\nenabled = true\nurl = "{devnet.url}"\nwait_seconds = 5\n')
    result = CliRunner().invoke(main, ["point-in-time", "--config", str(config), "50"])
    assert result.exit_code == 0, result.output
    assert '"complete": true' in result.output
    assert CliRunner().invoke(main, ["point-in-time", "--config", str(config), "-5"]).exit_code == 2


def test_an_admin_key_with_read_reads_the_worker_route_and_its_schema(client):
    made = client.blocking_portal.call(AdminKeyService(client.worker.db).create, "pit-reader", ["read"])
    other = client.blocking_portal.call(AdminKeyService(client.worker.db).create, "pit-operator", ["operate"])
    client.app.state.admin_keyring.cache_seconds = 0  # see the keys at once (the delay has its own tests)
    key = {"Authorization": f"Bearer {made['key']}"}
    assert client.get("/admin/v1/reserves/at/1", headers=key).status_code == 200
    r = client.get("/admin/v1/reserves/at/1", headers={"Authorization": f"Bearer {other['key']}"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"
    paths = client.get("/admin/v1/openapi.json", headers=key).json()["paths"]
    assert list(paths) == ["/admin/v1/reserves/at/{height}"]
    assert "/admin/v1/reserves/at/{height}" not in client.get("/schema/openapi.json").json()["paths"]
