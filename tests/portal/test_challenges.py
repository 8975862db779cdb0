"""Public proofs of control: POST /api/v1/challenges (devnet online signer), GET /api/v1/proofs, the partial."""

from __future__ import annotations

import stat

import pytest

from chains.bitcoin.proofs import verify_message
from portal.clients import client_key
from portal.ratelimit.buckets import LocalBuckets, Policy
from portal.ratelimit.limiter import build_limiter
from tests.portal.conftest import snapshot
from tests.world import world


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with world(tmp_path_factory.mktemp("challenges")) as w:
        snapshot(w.client)
        yield w.client


@pytest.fixture(autouse=True)
def fresh_limits(client):
    """Every test starts with empty buckets and room for many challenges (tests that limit say so)."""
    limiter = client.app.state.ratelimit
    limiter.local = LocalBuckets()
    limit(client, 1000)


def limit(client, per_client: int, all_clients: int = 10_000, reserve: int = 0) -> None:
    policies = client.app.state.ratelimit.policies
    policies["challenges"] = Policy("challenges", per_client, 60)
    policies["challenges_all"] = Policy("challenges_all", all_clients, 60, reserve)


def _error(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert set(r.json()) == {"error"} and r.json()["error"]["code"] == code, r.text


def test_online_signer_signs_a_fresh_message_with_the_nonce(client):
    r = client.post("/api/v1/challenges", json={"nonce": "auditor-7 2026"})
    assert r.status_code == 200, r.text
    c = r.json()
    latest = client.get("/api/v1/attestations/latest").json()["attestation"]["reserves"]
    assert c["purpose"] == "public" and c["message"].endswith("\nnonce: auditor-7 2026")
    assert "domain: localhost" in c["message"] and latest["valid_at"]["block_hash"] in c["message"]
    assert f"version {latest['reserve_set']['version']} " in c["message"]
    assert c["signatures"]
    for s in c["signatures"]:
        assert verify_message(s["address"], c["message"], s["signature"], "regtest").outcome == "valid"
        assert s["result"]["outcome"] == "valid" and s["result"]["source"] == "online"


def test_key_file_and_passphrase_are_private_and_encrypted(client):
    s = client.world.settings
    key, passphrase = s.data_dir / "online-signer.key", s.data_dir / "online-signer.passphrase"
    for p in (key, passphrase):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    secret = client.app.state.services.proofs.online.keys[0].key.secret.hex()
    assert secret not in key.read_text()
    db = (s.data_dir / "reserves.db").read_bytes()
    assert secret.encode() not in db and passphrase.read_bytes().strip() not in db


def test_proofs_status_shows_online_proofs_fresh(client):
    client.post("/api/v1/challenges", json={"nonce": "n"})
    body = client.get("/api/v1/proofs").json()
    fresh = [a for a in body["addresses"] if a["status"] == "fresh"]
    assert fresh and all(a["age_seconds"] is not None for a in fresh)
    wallets = {w["name"]: w for w in body["wallets"]}
    assert any(w["threshold"] for w in wallets.values())
    assert all(set(k) >= {"id", "alive", "age_seconds"} for w in wallets.values() for k in w["keys"])


def test_dashboard_partial(client):
    r = client.get("/proofs")
    assert r.status_code == 200 and "Proof of control" in r.text and "Key liveness" in r.text
    assert "declared only" in r.text or "fresh" in r.text


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b"",
        b"[]",
        b"null",
        b'"nonce"',
        b'{"nonce": 5}',
        b'{"nonce": null}',
        b'{"other": "x"}',
        b'{"nonce": ""}',
        b'{"nonce": "' + b"x" * 129 + b'"}',
        b'{"nonce": "a\\nblock: forged"}',
        b'{"nonce": "\\u00e9"}',
        b'{"nonce": ["a"]}',
        b'{"nonce": {"a": 1}}',
        b"\xff\xfe",
    ],
)
def test_malformed_bodies_are_400(client, payload):
    r = client.post("/api/v1/challenges", content=payload, headers={"Content-Type": "application/json"})
    _error(r, 400, "invalid_input")


def test_huge_body_is_413(client):
    r = client.post(
        "/api/v1/challenges",
        content=b'{"nonce": "' + b"x" * 200_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    _error(r, 413, "too_large")


def test_rate_limited_per_client_with_retry_after(client):
    limit(client, 3)
    ok = [client.post("/api/v1/challenges", json={"nonce": "r"}) for _ in range(3)]
    assert [r.status_code for r in ok] == [200, 200, 200]
    # Two budgets on the answer: the one every request spends, and the challenges'.
    policies = ok[0].headers.get_list("ratelimit-policy")
    assert policies[0] == '"challenges";q=3;w=60' and policies[1].startswith('"api";')
    assert ok[2].headers.get_list("ratelimit")[0] == '"challenges";r=0;t=60'
    r = client.post("/api/v1/challenges", json={"nonce": "r"})
    _error(r, 429, "rate_limited")
    assert r.headers["Retry-After"] == "20" and '"challenges";r=0;t=20' in r.headers.get_list("ratelimit")
    assert "at most 3 public challenges per 60 s" in r.json()["error"]["detail"]


def test_an_invalid_nonce_or_body_spends_no_token(client):
    # The security review: an invalid nonce spent a token. Checking it is cheap; signing is not.
    limit(client, 2)
    for bad in ({"nonce": ""}, {"nonce": "a\nblock: forged"}, {"nonce": 5}, {"other": 1}):
        _error(client.post("/api/v1/challenges", json=bad), 400, "invalid_input")
    codes = [client.post("/api/v1/challenges", json={"nonce": "n"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_no_online_signer_is_404(client):
    proofs = client.app.state.services.proofs
    online, proofs.online = proofs.online, None
    try:
        _error(client.post("/api/v1/challenges", json={"nonce": "x"}), 404, "no_online_signer")
    finally:
        proofs.online = online


def test_no_fresh_block_is_503_with_the_error_shape(client):
    from datetime import timedelta

    proofs = client.app.state.services.proofs
    clock = proofs.clock
    proofs.clock = lambda: clock() + timedelta(hours=3)
    try:
        _error(client.post("/api/v1/challenges", json={"nonce": "x"}), 503, "no_fresh_block")
    finally:
        proofs.clock = clock


async def test_ten_addresses_cannot_empty_the_all_clients_budget_for_everyone(tmp_path):
    """The security review: ten addresses at their per-client rate emptied the shared bucket. With the
    defaults (6 a minute per client, 60 for all, 30 of those kept for clients idle until now) they
    get at most half of it, and a newcomer is still served."""
    from reserves.settings.load import default_settings

    limiter = build_limiter(default_settings(tmp_path))
    assert limiter is not None
    busy = [client_key(f"2001:db8:{i}::1") for i in range(10)]
    served = 0
    for _ in range(10):  # each asks ten times, as fast as it can
        for key in busy:
            served += (await limiter.take_challenge(key)).allowed
    assert served == 30
    assert (await limiter.take_challenge(client_key("198.51.100.7"))).allowed
    # One /64 is one client, whatever address of it asks.
    assert not (await limiter.take_challenge(client_key("2001:db8:3::abcd"))).allowed


def test_public_challenges_past_the_freshness_window_are_pruned_operator_ones_kept(client):
    from datetime import datetime, timedelta, timezone

    from reserves.jobs.prune import prune_public_challenges
    from reserves.proofs.errors import UnknownChallenge

    rt = client.world
    public = client.post("/api/v1/challenges", json={"nonce": "to-be-pruned"}).json()
    operator = client.blocking_portal.call(client.app.state.services.proofs.create_challenge)
    max_age = rt.settings.proofs.max_age_seconds
    assert rt.call(prune_public_challenges, rt.db, max_age) == 0  # nothing is old yet
    later = datetime.now(timezone.utc) + timedelta(seconds=max_age + 60)
    assert rt.call(prune_public_challenges, rt.db, max_age, now=later) >= 1
    proofs = client.app.state.services.proofs
    with pytest.raises(UnknownChallenge):
        client.blocking_portal.call(proofs.get_challenge, public["id"])
    assert client.blocking_portal.call(proofs.get_challenge, operator["id"])["id"] == operator["id"]
