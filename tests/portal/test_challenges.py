"""Public proofs of control: POST /api/v1/challenges (devnet online signer), GET /api/v1/proofs, the partial."""

from __future__ import annotations

import stat

import pytest
from litestar.exceptions import TooManyRequestsException

from chains.bitcoin.proofs import verify_message
from portal.api.proofs import RateLimiter
from tests.portal.conftest import snapshot
from tests.world import world


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with world(tmp_path_factory.mktemp("challenges")) as w:
        snapshot(w.client)
        yield w.client


@pytest.fixture(autouse=True)
def fresh_limiter(client):
    client.app.state.challenge_limiter = RateLimiter(1000)


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
    r = client.get("/partials/proofs")
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
    client.app.state.challenge_limiter = RateLimiter(3)
    codes = [client.post("/api/v1/challenges", json={"nonce": "r"}).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    r = client.post("/api/v1/challenges", json={"nonce": "r"})
    _error(r, 429, "rate_limited")
    assert int(r.headers["Retry-After"]) >= 1


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


def test_rate_limiter_refills_and_forgets_old_clients():
    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    limiter.take("a"), limiter.take("a")
    with pytest.raises(TooManyRequestsException) as exc:
        limiter.take("a")
    assert exc.value.status_code == 429 and exc.value.headers["Retry-After"] == "30"
    limiter.take("b")  # another client has its own bucket
    now[0] = 30.0
    limiter.take("a")
    import portal.api.proofs as mod

    small = RateLimiter(1, clock=lambda: now[0])
    old, mod.MAX_CLIENTS = mod.MAX_CLIENTS, 3
    try:
        for i in range(10):
            small.take(f"c{i}")
        assert len(small._buckets) == 3
    finally:
        mod.MAX_CLIENTS = old


def test_rate_limit_keys_an_ipv6_client_by_its_64_prefix():
    """One IPv6 host owns a whole /64 (SLAAC, privacy addresses): keyed by the full address, it
    could send every request from a new address and never be limited."""
    limiter = RateLimiter(2, clock=lambda: 0.0)
    limiter.take("2001:db8:1:2::1")
    limiter.take("2001:db8:1:2:aaaa:bbbb:cccc:dddd")
    with pytest.raises(TooManyRequestsException) as exc:
        limiter.take("2001:db8:1:2::ffff")
    assert exc.value.status_code == 429
    limiter.take("2001:db8:1:3::1")  # another /64 is another client
    limiter.take("::ffff:192.0.2.7")  # an IPv4-mapped address is its IPv4 client
    limiter.take("192.0.2.7")
    with pytest.raises(TooManyRequestsException):
        limiter.take("192.0.2.7")


def test_all_clients_together_are_limited_too():
    """Every answer stores rows; a thousand addresses must not write a thousand times the per-client rate."""
    import portal.api.proofs as mod

    now = [0.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    allowed = 0
    for i in range(200):
        try:
            limiter.take(f"198.51.100.{i}")
            allowed += 1
        except Exception as exc:
            assert exc.status_code == 429 and "all clients together" in exc.detail
    assert allowed == 2 * mod.ALL_CLIENTS_FACTOR
    now[0] = 60.0
    limiter.take("203.0.113.1")  # refilled after a minute


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
