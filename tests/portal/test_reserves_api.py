"""Reserve set, versions and wallets on the real devnet: JSON and dashboard agree; hostile input is a clean 4xx."""

from __future__ import annotations

import pytest

from reserves.declarations.reserve_set import build_reserve_set, record_reserve_set, reserve_set_hash
from tests.portal.conftest import snapshot
from tests.support import serve_now


def error_code(resp) -> str:
    body = resp.json()
    assert set(body) == {"error"} and {"code", "detail"} <= set(body["error"]), body
    return body["error"]["code"]


def test_before_the_first_attestation(client):
    r = client.get("/api/v1/wallets")
    assert r.status_code == 404 and error_code(r) == "not_found"
    current = client.get("/api/v1/reserve-set")
    assert current.status_code == 200 and current.json()["version"] == 1  # recorded at start


def test_current_reserve_set_declares_every_wallet_with_its_policy(client):
    env = snapshot(client)
    rs = client.get("/api/v1/reserve-set").json()
    assert rs["version"] == 1 and rs["reason"] and rs["diff"] is None and rs["diff_summary"] == "first version"
    # an auditor recomputes the hash from the declaration and finds it in the attestation
    assert reserve_set_hash(rs["declaration"]) == rs["hash"]
    assert env["attestation"]["reserves"]["reserve_set"] == {"version": rs["version"], "hash": rs["hash"]}
    wallets = rs["declaration"]["wallets"]
    assert [w["name"] for w in wallets] == sorted(w["name"] for w in wallets) and rs["wallet_count"] == len(wallets)
    multisig = [w for w in wallets if w["policy"]["script_type"] == "p2wsh-multisig"]
    assert multisig and all(w["policy"]["threshold"] and len(w["policy"]["keys"]) > 1 for w in multisig)
    assert all({"id", "key", "fingerprint", "path"} <= set(k) for w in multisig for k in w["policy"]["keys"])
    assert client.get("/api/v1/reserve-set/versions/1").json() == rs


def test_wallets_add_up_to_the_attestation(client):
    env = snapshot(client)
    view = client.get("/api/v1/wallets").json()
    body = env["attestation"]
    assert view["attestation_id"] == env["id"] and view["reserve_set"] == body["reserves"]["reserve_set"]
    assert view["valid_at"] == body["reserves"]["valid_at"] and view["valid_at"]["height"] >= 1
    wallets = view["wallets"]
    assert sum(int(w["spendable_sat"]) for w in wallets) == int(body["reserves"]["spendable_sat"])
    assert sum(int(w["locked_sat"]) for w in wallets) == int(body["reserves"]["locked_sat"])
    for w in wallets:
        assert int(w["total_sat"]) == int(w["spendable_sat"]) + int(w["locked_sat"])
        assert (w["locked_until"] is None) == (w["locked_sat"] == "0")
        assert w["policy"] is not None and w["source"]
    declared = {w["name"] for w in client.get("/api/v1/reserve-set").json()["declaration"]["wallets"]}
    assert {w["name"] for w in wallets} == declared
    multisig = next(w for w in wallets if w["policy"]["script_type"] == "p2wsh-multisig")
    assert multisig["policy"]["custody"] == f"{multisig['policy']['threshold']} of {multisig['policy']['keys_total']}"


def test_summary_and_pages_show_wallets_spendable_and_locked(client):
    snapshot(client)
    summary = client.get("/api/v1/summary").json()
    assert int(summary["spendable_sat"]) + int(summary["locked_sat"]) >= int(summary["reserves_sat"])
    overview = client.get("/").text
    partial = client.get("/partials/summary").text
    html = client.get("/reserves").text
    for text in (summary["spendable_btc"], summary["locked_btc"]):
        assert text in overview and text in partial and text in html
    for w in summary["wallets"]:
        assert f'data-wallet="{w["name"]}"' in html and w["total_btc"] in html
        if w["policy"]["threshold"]:
            assert w["policy"]["custody"] in html
            assert all(k["fingerprint"] in html for k in w["policy"]["keys"] if k["fingerprint"])
        if w["locked_until"]:
            assert "until " in html
    assert 'id="reserve-set-history"' in html and summary["reserve_set_history"][0]["reason"] in html
    # Every area is on its own page, complete as served: nothing waits for htmx to load it.
    assert 'hx-trigger="load' not in overview and 'hx-trigger="load' not in html
    assert "only asserted" in html and "Proven" in html and "Asserted" in html
    # Each counted output with its evidence link.
    doc = client.get("/api/v1/attestations/latest").json()["attestation"]
    for src in doc["reserves"]["sources"]:
        for u in src.get("utxos", []):
            assert f"/api/v1/evidence/{u['txid']}/{u['vout']}" in html


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reserve-set/versions/0",
        "/api/v1/reserve-set/versions/-1",
        "/api/v1/reserve-set/versions/" + "9" * 40,
        "/api/v1/reserve-set/versions/9007199254740992",
    ],
)
def test_out_of_range_versions_are_400(client, path):
    r = client.get(path)
    assert r.status_code == 400 and error_code(r) == "invalid_input", r.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reserve-set/versions/abc",
        "/api/v1/reserve-set/versions/1.5",
        "/api/v1/reserve-set/versions/..%2f..%2fetc",
        "/api/v1/reserve-set/versions/%00",
        "/api/v1/reserve-set/versions/" + "é" * 100,
        "/api/v1/reserve-set/versions/99999",
        "/api/v1/reserve-set/versions/1/extra",
        "/api/v1/wallets/x" * 200,
    ],
)
def test_hostile_paths_are_a_clean_4xx(client, path):
    r = client.get(path)
    codes = {400: "invalid_input", 404: "not_found", 414: "uri_too_long"}  # a path over 2 KiB: 414 (docs/api.md)
    assert codes.get(r.status_code) == error_code(r), r.text


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"limit": "abc"},
        {"limit": "9" * 40},
        {"cursor": "!!!"},
        {"cursor": "x" * 65},
        {"cursor": "czotMQ"},
        {"cursor": "czo5OTk5OTk5OTk5OTk5OTk5OTk5OQ"},
        {"cursor": "\x00"},
    ],
)
def test_malformed_version_list_parameters(client, params):
    r = client.get("/api/v1/reserve-set/versions", params=params)
    assert r.status_code == 400 and error_code(r) == "invalid_input", r.text


def test_new_versions_are_listed_newest_first_and_old_ones_stay(client):
    rt = client.world

    class Spare:  # test double of a WalletSpec: a wallet added to the set
        name = "spare"

        def declaration(self):
            return {"name": "spare", "label": None, "network": "regtest", "addresses": ["bcrt1qspare"]}

    rs = build_reserve_set([("x", [Spare()])])
    for reason in ("spare wallet added", "and removed again"):
        client.blocking_portal.call(record_reserve_set, rt.db, rs, reason)
        rs = build_reserve_set([])
    seen, cursor = [], None
    while True:
        page = client.get(
            "/api/v1/reserve-set/versions", params={"limit": 1, **({"cursor": cursor} if cursor else {})}
        ).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [v["version"] for v in seen] == [3, 2, 1] and all(v["declaration"] is None for v in seen)
    assert seen[1]["diff"]["wallets_added"] == ["spare"] and seen[1]["reason"] == "spare wallet added"
    assert client.get("/api/v1/reserve-set").json()["version"] == 3
    assert client.get("/api/v1/reserve-set/versions/1").json()["reason"] == "initial declaration"
    serve_now(client)
    assert "spare wallet added" in client.get("/reserves").text
