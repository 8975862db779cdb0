"""On the real devnet app: guardian submissions through the API, finality shown, and an engine key rotation
introduced by the old key, refused without it, and trusted across the chain from the first key alone."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from reserves.attestation import verify_chain, verify_document
from reserves.attestation.keys import SigningKey
from reserves.attestation.members.guardians import guardian_signature
from reserves.devnet.guardians import DEVNET_GUARDIANS, cosign
from reserves.jobs.snapshot import snapshot_job
from reserves.trust.keys import EngineKeys
from tests.portal.conftest import snapshot
from tests.support import serve_now


def code(resp) -> str:
    return resp.json()["error"]["code"]


def guardian_c() -> SigningKey:
    import hashlib

    name = DEVNET_GUARDIANS[2]  # the devnet guardian that never signs by itself
    return SigningKey(hashlib.sha256(f"reserves-portal devnet guardian {name}".encode()).digest(), key_id=name)


def test_pending_until_the_devnet_guardians_sign_then_final(client):
    env = snapshot(client, cosign=False)
    pending = client.get("/api/v1/attestations/pending").json()
    assert env["id"] in [e["id"] for e in pending["items"]]
    view = client.get(f"/api/v1/attestations/{env['id']}/signatures").json()
    assert (view["finality"], view["threshold"], view["signed_count"]) == ("pending", 2, 0)
    assert "pending" in client.get("/trust").text
    rt = client.world
    rt.call(cosign, rt.db, rt.worker.devnet_guardians)
    serve_now(client)
    view = client.get(f"/api/v1/attestations/{env['id']}/signatures").json()
    assert view["finality"] == "final" and view["signed_count"] == 2 and view["final_at"]
    served = client.get(f"/api/v1/attestations/{env['id']}").json()
    engine = {k["pubkey"]: k["key_id"] for k in client.get("/api/v1/keys").json()["keys"] if k["role"] == "engine"}
    assert verify_document(served, trusted_keys=engine).ok
    assert client.get("/api/v1/attestations/latest", params={"final": "true"}).json()["id"] == env["id"]


def test_a_third_guardian_signs_through_the_api_once(client):
    env = snapshot(client)
    entry = guardian_signature(guardian_c(), env["id"])
    url = f"/api/v1/attestations/{env['id']}/signatures"
    r = client.post(url, json={"pubkey": entry["pubkey"], "sig": entry["sig"]})
    assert r.status_code == 201 and r.json()["signed"] == [
        "devnet-guardian-a",
        "devnet-guardian-b",
        "devnet-guardian-c",
    ]
    again = client.post(url, json={"pubkey": entry["pubkey"], "sig": entry["sig"]})
    assert again.status_code == 409 and code(again) == "duplicate_signature"
    view = client.get(url).json()
    assert [g["signed"] for g in view["guardians"]] == [True, True, True]
    audit = client.get("/api/v1/audit").json()["items"]
    assert audit[0]["actor"] == "guardian:devnet-guardian-c" and audit[0]["detail"]["attestation"] == env["id"]


@pytest.mark.parametrize(
    "body, status, error",
    [
        ({"pubkey": "00" * 32, "sig": "00" * 64}, 403, "unknown_guardian"),
        ({"pubkey": "zz", "sig": "00" * 64}, 400, "invalid_input"),
        ({"pubkey": "ab" * 32}, 400, "invalid_input"),
        ({"pubkey": ["x"], "sig": {"a": 1}}, 400, "invalid_input"),
        ({"pubkey": "ab" * 32 + "\n", "sig": "00" * 64}, 400, "invalid_input"),
        ("not json", 415, "unsupported_media_type"),  # sent without Content-Type: application/json
    ],
)
def test_hostile_submissions_get_a_code_and_change_nothing(client, body, status, error):
    env = snapshot(client)
    before = client.get(f"/api/v1/attestations/{env['id']}/signatures").json()
    url = f"/api/v1/attestations/{env['id']}/signatures"
    r = client.post(url, json=body) if not isinstance(body, str) else client.post(url, content=body)
    assert r.status_code == status and code(r) == error, r.text
    assert client.get(url).json() == before


def test_wrong_id_oversized_body_and_unknown_attestation(client):
    env = snapshot(client)
    other = guardian_signature(guardian_c(), "ab" * 32)  # a signature of another id
    r = client.post(
        f"/api/v1/attestations/{env['id']}/signatures", json={"pubkey": other["pubkey"], "sig": other["sig"]}
    )
    assert r.status_code == 400 and code(r) == "invalid_signature"
    r = client.post(
        f"/api/v1/attestations/{'ab' * 32}/signatures", json={"pubkey": other["pubkey"], "sig": other["sig"]}
    )
    assert r.status_code == 404
    r = client.post(
        f"/api/v1/attestations/{env['id']}/signatures",
        content=b"{" + b" " * 70_000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    for bad in ("xyz", "AB" * 32, "ab" * 31):
        r = client.get(f"/api/v1/attestations/{bad}/signatures")
        assert r.status_code == 400 and code(r) == "invalid_input"


def test_events_and_audit_pages_refuse_bad_parameters(client):
    assert client.get("/api/v1/events", params={"kind": "nope"}).status_code == 400
    assert client.get("/api/v1/events", params={"limit": 0}).status_code == 400
    assert client.get("/api/v1/audit", params={"before": -1}).status_code == 400
    kinds = {e["kind"] for e in client.get("/api/v1/events", params={"limit": 500}).json()["items"]}
    assert "status_changed" in kinds and "attestation_final" in kinds
    actions = [e["action"] for e in client.get("/api/v1/audit", params={"limit": 500}).json()["items"]]
    assert {"config.changed", "reserve_set.version", "key.introduced"} <= set(actions)


def test_a_new_engine_key_needs_the_old_one_and_the_chain_trusts_it(client):
    rt = client.world
    context = rt.worker.context
    first_key = context.keys.engine
    snapshot(client)
    new = SigningKey(os.urandom(32), key_id="engine-2")
    rt.worker.context = replace(context, keys=EngineKeys(new))
    try:
        before = client.get("/api/v1/attestations/latest").json()["id"]
        rt.call(snapshot_job, rt.worker.context, rt.worker.status, rt.worker.snapshot_lock)
        assert client.get("/api/v1/attestations/latest").json()["id"] == before  # refused: nothing stored
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["reasons"] == ["snapshots_refused"]
        assert "previous_key_file" not in r.text  # the error's text is for operators only
        client.app.state.admin_keyring.token = "operator-token"  # as create_app keeps [admin] token
        try:
            r = client.get("/admin/v1/health", headers={"Authorization": "Bearer operator-token"})
        finally:
            client.app.state.admin_keyring.token = None
        health = r.json()
        assert r.status_code == 503 and health["status"] == "degraded" and health["reasons"] == ["snapshots_refused"]
        assert health["last_snapshot_error"]["code"] == "signing_key"
        assert "previous_key_file" in health["last_snapshot_error"]["detail"]
        rt.worker.context = replace(context, keys=EngineKeys(new, previous=first_key))
        rotated = snapshot(client)
        rt.worker.context = replace(context, keys=EngineKeys(new))
        after = snapshot(client)
    finally:
        rt.worker.context = context
    body = rotated["attestation"]
    assert body["signers"]["rotation"]["from"]["pubkey"] == first_key.pubkey_hex
    assert body["signers"]["engine"]["pubkey"] == new.pubkey_hex
    assert after["attestation"]["signers"]["rotation"] is None
    keys = {k["pubkey"]: k for k in client.get("/api/v1/keys").json()["keys"]}
    assert keys[first_key.pubkey_hex]["retired_sequence"] == body["sequence"]
    assert keys[new.pubkey_hex]["rotation_attestation"] == rotated["id"]
    page = client.get("/api/v1/attestations", params={"limit": 500}).json()["items"]
    report = verify_chain(page, {first_key.pubkey_hex: "first"}, allow_pending=True)
    assert report.ok, report.failed()
    kinds = [e["kind"] for e in client.get("/api/v1/events", params={"kind": "key_rotated"}).json()["items"]]
    assert kinds == ["key_rotated"]
    assert "key.rotated" in [e["action"] for e in client.get("/api/v1/audit", params={"limit": 500}).json()["items"]]
