"""The admin API with the configured token: 404 when off, 401 when wrong, operator challenges, proof submission,
hostile input. Admin keys and scopes: tests/admin."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chains.bitcoin.proofs import sign_simple
from reserves.admin.keyring import AdminKeyring
from reserves.proofs.library import cosign_to_sign_psbt
from reserves.settings.model import AdminSettings
from tests.portal.conftest import snapshot
from tests.world import world

TOKEN = "t" * 20 + "0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with world(tmp_path_factory.mktemp("admin"), admin=AdminSettings(token=TOKEN)) as w:
        snapshot(w.client)
        yield w.client


def _error(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert set(r.json()) == {"error"} and r.json()["error"]["code"] == code, r.text


def _wallet(client, name: str):
    return next(w for w in client.app.state.services.proofs.wallets if w.name == name)


def _challenge(client, **body) -> dict:
    r = client.post("/admin/v1/challenges", json=body or None, headers=AUTH)
    assert r.status_code == 201, r.text
    return r.json()


def _submit(client, **body):
    return client.post("/admin/v1/proofs", json=body, headers=AUTH)


# -- the token ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": TOKEN},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
        {"Authorization": "Bearer " + "x" * 5000},
        {"Authorization": f"bearer  {TOKEN[:10]}"},
    ],
)
def test_missing_or_wrong_token_is_401(client, headers):
    for method, path in (
        ("POST", "/admin/v1/challenges"),
        ("GET", "/admin/v1/challenges/" + "0" * 32),
        ("POST", "/admin/v1/proofs"),
    ):
        r = client.request(method, path, headers=headers, json={})
        _error(r, 401, "unauthorized")
        assert r.headers["WWW-Authenticate"] == "Bearer" and TOKEN not in r.text


def test_admin_api_is_404_without_a_configured_token(client):
    keyring = client.app.state.admin_keyring
    # As the app runs without [admin] and with no admin key stored: the admin API is off.
    client.app.state.admin_keyring = AdminKeyring(keyring.db, None)
    try:
        for headers in ({}, AUTH):
            _error(client.post("/admin/v1/challenges", headers=headers), 404, "not_found")
            _error(client.get("/admin/v1/openapi.json", headers=headers), 404, "not_found")
    finally:
        client.app.state.admin_keyring = keyring


def test_admin_routes_are_only_in_the_admin_openapi_document(client):
    public = client.get("/schema/openapi.json").json()["paths"]
    assert {"/api/v1/challenges", "/api/v1/proofs"} <= set(public)
    assert not [p for p in public if p.startswith("/admin")]
    _error(client.get("/admin/v1/openapi.json"), 401, "unauthorized")
    admin = client.get("/admin/v1/openapi.json", headers=AUTH).json()
    assert {"/admin/v1/challenges", "/admin/v1/proofs", "/admin/v1/reconciliation/links"} <= set(admin["paths"])
    assert all(p.startswith("/admin/v1/") for p in admin["paths"])
    assert admin["components"]["securitySchemes"]["AdminKey"]["scheme"] == "bearer"


# -- challenges ---------------------------------------------------------------------------------


def test_challenge_round_trip(client):
    c = _challenge(client)
    assert c["purpose"] == "operator" and "psbt" not in c
    r = client.get(f"/admin/v1/challenges/{c['id']}", headers=AUTH)
    assert r.status_code == 200 and r.json()["message"] == c["message"] and r.json()["proofs"] == []


def test_challenge_with_a_multisig_address_has_a_psbt(client):
    address = _wallet(client, "multisig-2of3").address(0)
    c = _challenge(client, address=address)
    assert c["address"] == address and c["psbt"].startswith("cHNidP8")


@pytest.mark.parametrize(
    "address,code",
    [
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "invalid_address"),  # mainnet address on a regtest portal
        ("bcrt1q" + "q" * 300, "invalid_address"),
        ("garbage", "invalid_address"),
        ("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "address_not_in_reserve_set"),
    ],
)
def test_challenge_for_a_bad_address(client, address, code):
    _error(client.post("/admin/v1/challenges", json={"address": address}, headers=AUTH), 400, code)


@pytest.mark.parametrize("payload", [b"{", b"[1]", b'{"address": 5}', b"\x00\x01", b'"x"'])
def test_challenge_malformed_body(client, payload):
    r = client.post("/admin/v1/challenges", content=payload, headers={**AUTH, "Content-Type": "application/json"})
    _error(r, 400, "invalid_input")


@pytest.mark.parametrize(
    "cid,status,code",
    [
        ("0" * 32, 404, "unknown_challenge"),
        ("xyz", 400, "invalid_input"),
        ("A" * 32, 400, "invalid_input"),
        ("0" * 65, 400, "invalid_input"),
    ],
)
def test_read_unknown_or_malformed_challenge(client, cid, status, code):
    _error(client.get(f"/admin/v1/challenges/{cid}", headers=AUTH), status, code)


# -- proofs -------------------------------------------------------------------------------------


def test_hot_wallet_proof_is_valid_and_listed(client):
    address = _wallet(client, "hot").address(2)
    c = _challenge(client)
    key = client.world.devnet.signing_keys(address)[0]
    r = _submit(
        client, challenge_id=c["id"], address=address, signature=sign_simple(address, c["message"], key, "regtest")
    )
    assert r.status_code == 201 and r.json()["outcome"] == "valid", r.text
    proofs = client.get(f"/admin/v1/challenges/{c['id']}", headers=AUTH).json()["proofs"]
    assert [p["outcome"] for p in proofs] == ["valid"]
    status = client.get("/api/v1/proofs").json()
    assert next(a for a in status["addresses"] if a["address"] == address)["status"] == "fresh"


def test_challenges_and_proofs_are_audited_with_the_key_name_and_no_address(client):
    address = _wallet(client, "hot").address(3)
    c = _challenge(client)
    key = client.world.devnet.signing_keys(address)[0]
    signature = sign_simple(address, c["message"], key, "regtest")
    assert _submit(client, challenge_id=c["id"], address=address, signature=signature).status_code == 201
    refused = _submit(client, challenge_id="0" * 32, address=address, signature=signature)
    assert refused.status_code == 404  # nothing stored, nothing audited
    entries = client.get("/api/v1/audit", params={"limit": 50}).json()["items"]
    mine = [(e["actor"], e["action"], e["detail"]) for e in entries if e["detail"].get("challenge") == c["id"]]
    assert mine == [
        ("admin-key:admin-token", "admin.proof", {"challenge": c["id"], "address": address, "outcome": "valid"}),
        ("admin-key:admin-token", "admin.challenge", {"challenge": c["id"], "address": None}),
    ]
    assert "testclient" not in str(entries) and "admin-api" not in str(entries)


def test_multisig_psbt_proves_the_keys_that_signed(client):
    wallet = _wallet(client, "multisig-2of3")
    address = wallet.address(0)
    c = _challenge(client, address=address)
    keys = client.world.devnet.signing_keys(address)
    r = _submit(client, challenge_id=c["id"], address=address, psbt=cosign_to_sign_psbt(c["psbt"], keys[:2]))
    assert r.status_code == 201 and r.json()["outcome"] == "valid", r.text
    assert len(r.json()["signer_keys"]) == 2
    w = next(w for w in client.get("/api/v1/proofs").json()["wallets"] if w["name"] == "multisig-2of3")
    assert w["alive_count"] >= 2 and w["threshold_alive"]


def test_replayed_signature_on_a_new_challenge_is_invalid(client):
    address = _wallet(client, "hot").address(0)
    key = client.world.devnet.signing_keys(address)[0]
    old = _challenge(client)
    signature = sign_simple(address, old["message"], key, "regtest")
    new = _challenge(client)
    r = _submit(client, challenge_id=new["id"], address=address, signature=signature)
    assert r.status_code == 201 and r.json()["outcome"] == "invalid"


@pytest.mark.parametrize("signature", ["AAAA", "smp" + "A" * 100, "%%%%", "ful" + "B" * 64, "x" * 40_000])
def test_garbage_signatures_are_stored_invalid(client, signature):
    c = _challenge(client)
    r = _submit(client, challenge_id=c["id"], address=_wallet(client, "hot").address(0), signature=signature)
    assert r.status_code == 201 and r.json()["outcome"] in ("invalid", "inconclusive"), r.text


def test_expired_challenge_is_400(client):
    c = _challenge(client)
    proofs = client.app.state.services.proofs
    clock = proofs.clock
    proofs.clock = lambda: clock() + timedelta(days=2)
    try:
        _error(
            _submit(client, challenge_id=c["id"], address=_wallet(client, "hot").address(0), signature="AAAA"),
            400,
            "challenge_expired",
        )
    finally:
        proofs.clock = clock


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"challenge_id": "f" * 32, "address": "ADDR", "signature": "AAAA"}, 404, "unknown_challenge"),
        ({"challenge_id": "nope", "address": "ADDR", "signature": "AAAA"}, 400, "invalid_input"),
        (
            {"challenge_id": "CID", "address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "signature": "AAAA"},
            400,
            "invalid_address",
        ),
        (
            {"challenge_id": "CID", "address": "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "signature": "AAAA"},
            400,
            "address_not_in_reserve_set",
        ),
        ({"challenge_id": "CID", "address": "ADDR"}, 400, "invalid_input"),
        ({"challenge_id": "CID", "address": "ADDR", "signature": "AAAA", "psbt": "AAAA"}, 400, "invalid_input"),
        ({"challenge_id": "CID", "address": "ADDR", "signature": 5}, 400, "invalid_input"),
        ({"challenge_id": "CID", "address": ["ADDR"], "signature": "AAAA"}, 400, "invalid_input"),
        ({"address": "ADDR", "signature": "AAAA"}, 400, "invalid_input"),
        ({"challenge_id": "CID", "address": "ADDR", "signature": ""}, 400, "invalid_input"),
    ],
)
def test_hostile_submissions(client, body, status, code):
    c = _challenge(client)
    fill = {"CID": c["id"], "ADDR": _wallet(client, "hot").address(0)}
    body = {
        k: (fill.get(v, v) if isinstance(v, str) else [fill.get(x, x) for x in v] if isinstance(v, list) else v)
        for k, v in body.items()
    }
    _error(_submit(client, **body), status, code)


@pytest.mark.parametrize("payload", [b"{", b"", b"[]", b"null", b"\xff"])
def test_submission_malformed_json(client, payload):
    r = client.post("/admin/v1/proofs", content=payload, headers={**AUTH, "Content-Type": "application/json"})
    _error(r, 400, "invalid_input")


def test_submission_huge_body_is_413(client):
    r = client.post(
        "/admin/v1/proofs",
        content=b'{"signature": "' + b"A" * 300_000 + b'"}',
        headers={**AUTH, "Content-Type": "application/json"},
    )
    _error(r, 413, "too_large")
