"""GET /api/v1/supply and the supply fields of /api/v1/summary, from stored attestations of formats 2 and 3."""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar.testing import TestClient

from portal.app import create_app
from reserves.read.supply import RULE_FORMAT_3, RULE_LEGACY
from reserves.settings.load import default_settings
from reserves.storage import repository as repo
from tests.portal import supply_samples as ss
from tests.portal.conftest import snapshot
from tests.support import serve_now


def error_code(resp) -> str:
    body = resp.json()
    assert set(body) == {"error"} and {"code", "detail"} <= set(body["error"]), body
    return body["error"]["code"]


def bare_portal(data_dir):
    """A portal with no devnet and no sources: attestations are stored by the test itself."""
    s = default_settings(data_dir)
    return TestClient(create_app(replace(s, devnet=replace(s.devnet, enabled=False))))


@pytest.fixture
def bare(tmp_path):
    with bare_portal(tmp_path) as c:
        yield c


@pytest.fixture(scope="module")
def stocked(tmp_path_factory):
    """A bare portal holding a format 2 attestation and, after it, a format 3 one: set up here,
    not by an earlier test, since parallel runs may give each test of a module its own process."""
    with bare_portal(tmp_path_factory.mktemp("supply")) as c:
        first = store(c, ss.body_v2(sequence=0))
        store(c, ss.body_v3(failed=True, sequence=1), previous=first)
        yield c


def store(client: TestClient, body: dict, previous: str | None = None) -> str:
    row, point = ss.rows(body, previous)

    async def insert():
        async with client.app.state.services.reserves.db.sessions() as session, session.begin():
            await repo.insert_attestation(session, row, point)

    client.blocking_portal.call(insert)
    serve_now(client)
    return row.id


def test_supply_before_the_first_attestation_is_404_with_a_code(bare):
    r = bare.get("/api/v1/supply")
    assert r.status_code == 404 and error_code(r) == "not_found"
    assert "Token supply per deployment" not in bare.get("/supply").text  # the empty state: waiting for the first one


def test_format_2_then_format_3(bare):
    first = store(bare, ss.body_v2(sequence=0))
    legacy = bare.get("/api/v1/supply").json()
    assert legacy["attestation_id"] == first and legacy["rule"] == RULE_LEGACY
    assert [d["role"] for d in legacy["deployments"]] == ["native"] and legacy["deployments"][0]["held"] == []
    assert "Token supply per deployment" in bare.get("/supply").text

    latest = store(bare, ss.body_v3(failed=True, sequence=1), previous=first)
    r = bare.get("/api/v1/supply")
    assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=5"
    view = r.json()
    assert view["attestation_id"] == latest and view["sequence"] == 1 and view["rule"] == RULE_FORMAT_3
    assert view["total_sat"] == view["sum_sat"] == str(ss.TOTAL_SAT) and view["complete"] is False
    by_name = {d["name"]: d for d in view["deployments"]}
    assert list(by_name) == ["devnet-bridged", "devnet-ethereum", "devnet-l2", "solana"]
    eth = by_name["devnet-ethereum"]
    assert eth["total_supply"] == "1000000000" and eth["circulating"] == "929700000"
    assert eth["rpc"] == {
        "endpoints": 2,
        "answered": 2,
        "agreed": 2,
        "quorum": 2,
        "text": "2 of 2 endpoints agree; quorum 2",
    }
    assert {h["category"] for h in eth["held"]} == {"lockbox", "treasury", "burn"}
    assert all(isinstance(h["balance"], str) for h in eth["held"])
    bridge = by_name["devnet-bridged"]["bridge"]
    assert bridge["locked_sat"] == "50000000" and bridge["minted_sat"] == "40000000" and bridge["counted"] == "locked"
    assert by_name["solana"]["error_code"] == "chain_unavailable" and by_name["solana"]["supply_sat"] is None


def test_summary_carries_the_same_terms(stocked):
    summary = stocked.get("/api/v1/summary").json()
    supply = stocked.get("/api/v1/supply").json()
    assert summary["supply_rule"] == supply["rule"] and summary["liabilities_sat"] == supply["total_sat"]
    assert summary["deployments"] == supply["deployments"]
    html = stocked.get("/supply").text
    for text in ("minus treasury: Issuer treasury", "locked 0.50000000", "2 of 2 endpoints agree", RULE_FORMAT_3):
        assert text in html


def test_one_deployment(stocked):
    view = stocked.get("/api/v1/supply", params={"deployment": "devnet-bridged"}).json()
    assert [d["name"] for d in view["deployments"]] == ["devnet-bridged"] and view["total_sat"] == str(ss.TOTAL_SAT)


@pytest.mark.parametrize(
    "value, status",
    [
        ("", 400),
        ("x" * 201, 400),
        ("x" * 100_00, 400),
        ("nope", 404),
        ("DEVNET-ETHEREUM", 404),
        ("devnet-ethereum ", 404),
        ("%00", 404),
        ("\x00", 404),
        ("../../etc/passwd", 404),
        ("' OR 1=1 --", 404),
        ("é" * 200, 404),
        ("<script>", 404),
        ("devnet-ethereum\ndevnet-l2", 404),
    ],
)
def test_hostile_deployment_parameter(stocked, value, status):
    r = stocked.get("/api/v1/supply", params={"deployment": value})
    assert r.status_code == status, r.text
    assert error_code(r) == ("invalid_input" if status == 400 else "not_found")
    assert "<script>" not in r.headers.get("content-type", "") and r.headers["content-type"].startswith(
        "application/json"
    )


def test_repeated_and_unknown_parameters(stocked):
    # A parameter given twice is a 400, never last-wins (portal.limits); unknown ones are ignored,
    # within the query string's limit (4 KiB by default).
    r = stocked.get("/api/v1/supply?deployment=devnet-l2&deployment=devnet-ethereum")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"
    assert stocked.get("/api/v1/supply", params={"limit": "-1", "cursor": "x" * 1000}).status_code == 200
    assert stocked.get("/api/v1/supply", params={"limit": "-1", "cursor": "x" * 10_000}).status_code == 400


def test_devnet_supply_is_the_signed_attestation(client):
    """On the real devnet: the endpoint repeats the newest attestation's figures, every term kind present."""
    env = snapshot(client, ticks=2)
    body = env["attestation"]
    view = client.get("/api/v1/supply").json()
    assert view["attestation_id"] == env["id"] and view["format"] == body["format"]
    assert view["total_sat"] == view["sum_sat"] == body["supply"]["total_sat"]
    signed = {d["name"]: d for d in body["supply"]["deployments"]}
    by_name = {d["name"]: d for d in view["deployments"]}
    assert set(by_name) == {"devnet-ethereum", "devnet-l2", "devnet-bridged"} == set(signed)
    for name, dep in by_name.items():
        assert dep["error"] is None, dep["error"]
        for key in ("height", "block_hash", "total_supply", "circulating", "supply_sat", "role"):
            assert dep[key] == signed[name][key], (name, key)
    assert by_name["devnet-bridged"]["role"] == "bridge" and by_name["devnet-bridged"]["bridge"]["locked"] != "0"
    categories = {h["category"] for h in by_name["devnet-ethereum"]["held"]}
    assert "lockbox" in categories
    html = client.get("/supply").text
    assert by_name["devnet-bridged"]["bridge"]["locked_btc"] in html and view["rule"] in html
