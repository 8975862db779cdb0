"""Admin keys against a real web role over HTTP: each scope on real routes, the configured token,
the whole life of a key through the CLI, hostile Authorization headers, the audit log naming the
key (never the client's address), failed logins logged and counted, and the two OpenAPI documents."""

from __future__ import annotations

import json
import logging

import pytest

from portal.api.admin_auth import MAX_AUTH_HEADER
from tests.admin.conftest import TOKEN, Portal, get, post, wait_until

# (method, path, JSON body, scope it needs, the code it answers once past the guard)
ROUTES = [
    ("GET", "/admin/v1/openapi.json", None, "read", 200),
    ("GET", "/admin/v1/challenges/" + "0" * 32, None, "read", 404),  # unknown_challenge
    ("OPTIONS", "/admin/v1/proofs", None, "read", 204),
    ("POST", "/admin/v1/challenges", None, "operate", 503),  # no attested block to bind to: past the guard
    ("POST", "/admin/v1/reconciliation/links", {}, "operate", 400),
    ("GET", "/admin/v1/webhooks", None, "webhooks", 200),
    ("POST", "/admin/v1/webhooks", {"url": "ftp://x"}, "webhooks", 400),
]
SCOPES = ("read", "operate", "guardian", "webhooks")


@pytest.fixture(scope="module")
def keys(portal: Portal) -> dict[str, str]:
    """One key per scope, made with the CLI, each in use once the server's cache saw it."""
    made = {scope: portal.create(f"only-{scope}", scope) for scope in SCOPES}
    wait_until(lambda: all(get(portal, "/admin/v1/webhooks", k).status_code != 401 for k in made.values()))
    return made


def _call(portal: Portal, method: str, path: str, body, key: str | None):
    import httpx

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.request(method, portal.base + path, json=body, headers=headers, timeout=30)


def test_each_scope_opens_its_routes_and_no_other(portal, keys):
    for scope, key in keys.items():
        for method, path, body, needed, passed in ROUTES:
            r = _call(portal, method, path, body, key)
            if scope == needed:
                assert r.status_code == passed, (scope, method, path, r.text)
            else:
                assert r.status_code == 403, (scope, method, path, r.text)
                assert r.json() == {
                    "error": {"code": "insufficient_scope", "detail": f"this key lacks the {needed} scope"}
                }


def test_the_configured_token_is_a_key_with_every_scope(portal):
    for method, path, body, _needed, passed in ROUTES:
        r = _call(portal, method, path, body, TOKEN)
        assert r.status_code == passed, (method, path, r.text)


def test_without_a_key_every_admin_route_is_401(portal):
    for method, path, body, _needed, _passed in ROUTES:
        r = _call(portal, method, path, body, None)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized", (method, path)
        assert r.headers["WWW-Authenticate"] == "Bearer"


def test_a_key_lives_through_the_cli(portal):
    made = portal.cli("create", "lifecycle", "--scope", "read", "--scope", "webhooks")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("rpk_") and made.stdout.count(key) == 1 and key not in made.stderr
    wait_until(lambda: get(portal, "/admin/v1/webhooks", key).status_code == 200)

    listed = portal.cli("list", "--json")
    for listing in (portal.cli("list"), listed):
        assert listing.returncode == 0, listing.stderr
        assert "lifecycle" in listing.stdout and key not in listing.stdout
        assert key.split("_", 2)[2] not in listing.stdout  # nor the secret part alone (which may hold "_")
    row = next(k for k in json.loads(listed.stdout) if k["name"] == "lifecycle")
    assert row["scopes"] == ["read", "webhooks"] and row["revoked_at"] is None and row["last_used_at"] is not None
    assert set(row) == {"name", "id", "scopes", "created_at", "last_used_at", "revoked_at"}

    revoked = portal.cli("revoke", "lifecycle")
    assert revoked.returncode == 0 and "revoked" in revoked.stdout, revoked.stderr
    # The running server refuses it within [admin] key_cache_seconds (1 s here); the wait is a liveness bound.
    wait_until(lambda: get(portal, "/admin/v1/webhooks", key).status_code == 401)
    assert get(portal, "/admin/v1/openapi.json", key).json()["error"]["code"] == "unauthorized"
    assert portal.cli("revoke", "no-such-key").returncode == 2


def _request(auth: bytes) -> bytes:
    return b"GET /admin/v1/webhooks HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: " + auth + b"\r\n\r\n"


def test_hostile_authorization_headers_are_refused(portal, keys):
    key = keys["webhooks"].encode()
    hostile = [
        b"Bearer " + b"x" * 5000,  # oversized
        b"Bearer " + key + b"x" * MAX_AUTH_HEADER,
        b"Bearer " + b" " * 2000 + key,  # too long, even though the key is in it
        b"Bearer \xc3\xa9" + key[2:],  # non-ASCII
        b"Bearer " + key[:-1] + b"\xff",
        b"Bearer " + key + b"\x00",  # NUL: h11 itself refuses the header (400)
        b"Bearer\t" + key,
        b"Basic " + key,  # wrong scheme
        key,  # no scheme
        b"Bearer",
        b"Bearer ",
        b"Bearer " + key + b" " + key,
        b"Bearer rpk_000000000000_" + b"A" * 43,  # a key id that does not exist
        b"Bearer " + key[:-1] + (b"A" if key[-1:] != b"A" else b"B"),  # a known id, a wrong secret
        b"Bearer " + key.upper(),
        b"Bearer rpk_" + key[4:16],  # the id alone
        b"Bearer " + TOKEN.encode()[:-1],
    ]
    for auth in hostile:
        status, body = portal.raw(_request(auth))
        assert status in (400, 401), (auth[:40], status, body[:200])
        if status == 401:
            assert json.loads(body)["error"]["code"] == "unauthorized"
    # A valid key twice, or beside a wrong one: which one counts would depend on who reads the headers.
    for second in (key, b"wrong"):
        two = _request(b"Bearer " + key).replace(b"\r\n\r\n", b"\r\nAuthorization: Bearer " + second + b"\r\n\r\n")
        status, body = portal.raw(two)
        assert status == 401, (second, status, body[:200])
    # One or more spaces after the scheme is what RFC 6750 allows; the scheme is case-insensitive.
    for auth in (b"Bearer " + key, b"Bearer     " + key, b"bearer " + key, b"BEARER " + key + b"  "):
        status, body = portal.raw(_request(auth))
        assert status == 200, (auth[:40], status, body[:200])


def test_a_revoked_key_is_refused(portal):
    key = portal.create("short-lived", "read")
    wait_until(lambda: get(portal, "/admin/v1/openapi.json", key).status_code == 200)
    assert portal.admin_cli("revoke", key.split("_")[1]).returncode == 0  # by id
    wait_until(lambda: get(portal, "/admin/v1/openapi.json", key).status_code == 401)
    status, _ = portal.raw(_request(b"Bearer " + key.encode()))
    assert status == 401


def test_admin_actions_are_audited_with_the_key_name_and_no_address(portal):
    key = portal.create("hooks-bot", "webhooks")
    wait_until(lambda: get(portal, "/admin/v1/webhooks", key).status_code == 200)
    made = post(
        portal,
        "/admin/v1/webhooks",
        key,
        json={"url": "http://127.0.0.1:9/hook", "events": ["ratio.below"], "threshold_bp": 9000},
    )
    assert made.status_code == 201, made.text
    sub = made.json()["id"]
    assert post(portal, f"/admin/v1/webhooks/{sub}/pause", key).status_code == 200
    assert post(portal, f"/admin/v1/webhooks/{sub}/resume", TOKEN).status_code == 200
    entries = get(portal, "/api/v1/audit", params={"limit": 50}).json()["items"]
    mine = [(e["actor"], e["action"]) for e in entries if e["detail"].get("subscription") == sub]
    assert mine == [
        ("admin-key:admin-token", "webhook.resumed"),
        ("admin-key:hooks-bot", "webhook.paused"),
        ("admin-key:hooks-bot", "webhook.created"),
    ]
    text = json.dumps(entries)
    assert "127.0.0.1" not in text and "admin-api" not in text and key not in text


def test_failed_logins_are_logged_with_the_address_and_counted(portal, keys, caplog):
    caplog.set_level(logging.WARNING, logger="portal.admin")
    keyring = portal.app.state.admin_keyring
    before = keyring.failures
    wrong = keys["read"][:-1] + ("A" if keys["read"][-1] != "A" else "B")
    secret_part = wrong.split("_", 2)[2]  # rpk_<id>_<secret>: the secret itself may hold "_"
    assert get(portal, "/admin/v1/openapi.json", wrong).status_code == 401
    assert get(portal, "/admin/v1/openapi.json", "not-a-key-at-all").status_code == 401
    assert get(portal, "/admin/v1/openapi.json").status_code == 401
    assert keyring.failures == before + 3
    failed = [r.getMessage() for r in caplog.records if r.name == "portal.admin" and "failed" in r.getMessage()]
    assert len(failed) == 3 and all(r.levelno == logging.WARNING for r in caplog.records if r.name == "portal.admin")
    assert all("from 127.0.0.1" in m for m in failed)
    assert f"rpk_{wrong.split('_')[1]}" in failed[0]  # the public id helps the operator; the secret never
    assert "no Authorization header" in failed[2]
    assert not [m for m in failed if secret_part in m or "not-a-key-at-all" in m]


def test_admin_routes_are_documented_only_in_the_admin_document(portal, keys):
    public = get(portal, "/schema/openapi.json").json()
    assert public["paths"] and not [p for p in public["paths"] if p.startswith("/admin")]
    assert get(portal, "/admin/v1/openapi.json").status_code == 401
    admin = get(portal, "/admin/v1/openapi.json", keys["read"]).json()
    assert "/admin/v1/webhooks" in admin["paths"] and "/admin/v1/reconciliation/links" in admin["paths"]
    assert admin["security"] == [{"AdminKey": []}]


def test_keys_alone_turn_the_admin_api_on(portal, keys):
    keyring = portal.app.state.admin_keyring
    token, keyring.token = keyring.token, None  # as a portal without [admin] token whose database holds keys
    try:
        assert get(portal, "/admin/v1/webhooks", keys["webhooks"]).status_code == 200
        assert get(portal, "/admin/v1/webhooks").status_code == 401  # on (not 404), and closed
        assert get(portal, "/admin/v1/webhooks", TOKEN).status_code == 401
    finally:
        keyring.token = token
