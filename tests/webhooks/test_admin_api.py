"""The webhook admin API over the real devnet portal: the token, the whole life of a subscription,
and hostile input on every route. Ends with the devnet path: a snapshot reaches a real receiver."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from reserves.settings.model import AdminSettings
from tests.webhooks.receiver import Receiver
from tests.world import world

TOKEN = "w" * 20 + "0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "/admin/v1/webhooks"


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    with world(tmp_path_factory.mktemp("webhooks"), admin=AdminSettings(token=TOKEN)) as w:
        yield w


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def client(w):
    return w.client


def _error(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code, r.text


def _add(client, receiver, path="/ok", **body):
    payload = {"url": receiver.url(path), "events": ["attestation.published"], **body}
    r = client.post(BASE, json=payload, headers=AUTH)
    assert r.status_code == 201, r.text
    receiver.verify_with(path, r.json()["secret"])
    return r.json()


def test_every_route_needs_the_token(client):
    sub = "wh_" + "a" * 16
    routes = [
        ("POST", BASE),
        ("GET", BASE),
        ("GET", f"{BASE}/{sub}"),
        ("PATCH", f"{BASE}/{sub}"),
        ("DELETE", f"{BASE}/{sub}"),
        ("POST", f"{BASE}/{sub}/pause"),
        ("POST", f"{BASE}/{sub}/resume"),
        ("POST", f"{BASE}/{sub}/rotate-secret"),
        ("GET", f"{BASE}/{sub}/deliveries"),
        ("POST", f"{BASE}/{sub}/deliveries/1/redeliver"),
    ]
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer nope"}):
            _error(client.request(method, path, headers=headers, json={}), 401, "unauthorized")


def test_the_life_of_a_subscription(client, receiver, w):
    made = _add(client, receiver, description="exchange desk")
    assert made["id"].startswith("wh_") and made["secret"].startswith("whsec_")
    assert made["state"] == "active" and made["events"] == ["attestation.published"]
    listed = client.get(BASE, headers=AUTH).json()["items"]
    assert made["id"] in [i["id"] for i in listed] and made["secret"] not in json.dumps(listed)
    shown = client.get(f"{BASE}/{made['id']}", headers=AUTH).json()
    assert "secret" not in shown and shown["deliveries"] == {"pending": 0, "succeeded": 0, "dead": 0}

    async def stored():
        async with w.db.sessions() as session:
            return (
                await session.exec(
                    text("SELECT secret FROM webhook_subscription WHERE id = :i"), params={"i": made["id"]}
                )
            ).scalar()

    sealed = w.call(stored)
    assert made["secret"] not in sealed and sealed.startswith("v1.")  # encrypted at rest

    r = client.patch(
        f"{BASE}/{made['id']}", json={"events": ["ratio.below", "status.changed"], "threshold_bp": 10100}, headers=AUTH
    )
    assert r.status_code == 200 and r.json()["threshold_bp"] == 10100, r.text
    r = client.patch(f"{BASE}/{made['id']}", json={"events": ["status.changed"], "threshold_bp": None}, headers=AUTH)
    assert r.status_code == 200 and r.json()["threshold_bp"] is None, r.text
    assert client.post(f"{BASE}/{made['id']}/pause", headers=AUTH).json()["state"] == "paused"
    assert client.post(f"{BASE}/{made['id']}/resume", headers=AUTH).json()["state"] == "active"
    rotated = client.post(f"{BASE}/{made['id']}/rotate-secret", headers=AUTH).json()
    assert rotated["secret"] != made["secret"] and rotated["secret_rotation_ends_at"]
    page = client.get(f"{BASE}/{made['id']}/deliveries", headers=AUTH).json()
    assert page["items"] == [] and page["next_before"] is None
    _error(client.post(f"{BASE}/{made['id']}/deliveries/99999/redeliver", headers=AUTH), 404, "unknown_delivery")
    assert client.delete(f"{BASE}/{made['id']}", headers=AUTH).status_code == 204
    _error(client.get(f"{BASE}/{made['id']}", headers=AUTH), 404, "unknown_subscription")
    audit = client.get("/api/v1/audit?limit=20").json()
    actions = [e["action"] for e in audit["items"]]
    assert {"webhook.created", "webhook.updated", "webhook.secret_rotated", "webhook.deleted"} <= set(actions)
    assert made["secret"] not in json.dumps(audit) and receiver.base not in json.dumps(audit)


LONG = "https://example.com/" + "a" * 3000


@pytest.mark.parametrize(
    "body,code",
    [
        ({"url": 5, "events": ["status.changed"]}, "invalid_input"),
        ({"url": None, "events": ["status.changed"]}, "invalid_input"),
        ({"events": ["status.changed"]}, "invalid_input"),
        ({"url": "", "events": ["status.changed"]}, "target_refused"),
        ({"url": LONG, "events": ["status.changed"]}, "target_refused"),
        ({"url": "ftp://example.com/x", "events": ["status.changed"]}, "target_refused"),
        ({"url": "javascript:alert(1)", "events": ["status.changed"]}, "target_refused"),
        ({"url": "https://user:pw@example.com/", "events": ["status.changed"]}, "target_refused"),
        ({"url": "https://exa\nmple.com/", "events": ["status.changed"]}, "target_refused"),
        ({"url": "https://example.com/\x00", "events": ["status.changed"]}, "target_refused"),
        ({"url": "https://example.com/", "events": []}, "invalid_subscription"),
        ({"url": "https://example.com/", "events": "status.changed"}, "invalid_input"),
        ({"url": "https://example.com/", "events": ["nope"]}, "invalid_subscription"),
        ({"url": "https://example.com/", "events": ["status.changed", "status.changed"]}, "invalid_subscription"),
        ({"url": "https://example.com/", "events": ["x" * 10_000]}, "invalid_subscription"),
        ({"url": "https://example.com/", "events": ["status.changed"] * 500}, "invalid_subscription"),
        ({"url": "https://example.com/", "events": [{"a": 1}]}, "invalid_input"),
        ({"url": "https://example.com/", "events": ["ratio.below"]}, "invalid_subscription"),
        ({"url": "https://example.com/", "events": ["ratio.below"], "threshold_bp": 0}, "invalid_subscription"),
        ({"url": "https://example.com/", "events": ["ratio.below"], "threshold_bp": -5}, "invalid_subscription"),
        ({"url": "https://example.com/", "events": ["ratio.below"], "threshold_bp": 10**30}, "invalid_subscription"),
        ({"url": "https://example.com/", "events": ["ratio.below"], "threshold_bp": "ten"}, "invalid_input"),
        ({"url": "https://example.com/", "events": ["ratio.below"], "threshold_bp": [1]}, "invalid_input"),
        ({"url": "https://example.com/", "events": ["ratio.below"], "threshold_bp": 1.5}, "invalid_input"),
        ({"url": "https://example.com/", "events": ["status.changed"], "threshold_bp": 10000}, "invalid_subscription"),
        (
            {"url": "https://example.com/", "events": ["status.changed"], "description": "x" * 501},
            "invalid_subscription",
        ),
        (
            {"url": "https://example.com/", "events": ["status.changed"], "description": "a\x1bb"},
            "invalid_subscription",
        ),
        ({"url": "https://example.com/", "events": ["status.changed"], "description": 7}, "invalid_input"),
    ],
)
def test_hostile_subscriptions_are_refused_clearly(client, body, code):
    before = len(client.get(BASE, headers=AUTH).json()["items"])
    r = client.post(BASE, json=body, headers=AUTH)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == code, r.text
    assert len(r.text) < 4000  # the bad value is not echoed whole
    assert len(client.get(BASE, headers=AUTH).json()["items"]) == before


@pytest.mark.parametrize("payload", [b"{", b"[1]", b'"x"', b"\x00\x01", b"[" * 5000 + b"]" * 5000, b"null"])
def test_malformed_bodies(client, payload):
    r = client.post(BASE, content=payload, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 400, r.text


def test_an_oversized_body_is_413(client):
    r = client.post(
        BASE, content=b'{"url": "' + b"a" * 200_000 + b'"}', headers={**AUTH, "Content-Type": "application/json"}
    )
    assert r.status_code == 413


@pytest.mark.parametrize("sub_id", ["wh_short", "x" * 300, "wh_" + "a" * 15 + "!", "..%2F..%2Fetc", "wh_" + "é" * 16])
def test_malformed_ids_are_refused(client, sub_id):
    for method, path in (
        ("GET", f"{BASE}/{sub_id}"),
        ("POST", f"{BASE}/{sub_id}/pause"),
        ("DELETE", f"{BASE}/{sub_id}"),
    ):
        r = client.request(method, path, headers=AUTH)
        assert r.status_code in (400, 404), (path, r.text)
        assert r.status_code != 500


@pytest.mark.parametrize(
    "patch,code",
    [
        ({}, "invalid_subscription"),
        ({"secret": "whsec_x"}, "invalid_subscription"),
        ({"url": None}, "invalid_subscription"),
        ({"events": None}, "invalid_subscription"),
        ({"events": ["ratio.below"]}, "invalid_subscription"),
        ({"url": "gopher://x"}, "target_refused"),
        ({"state": "active"}, "invalid_subscription"),
    ],
)
def test_hostile_patches(client, receiver, patch, code):
    made = _add(client, receiver, "/patch")
    r = client.patch(f"{BASE}/{made['id']}", json=patch, headers=AUTH)
    assert r.status_code == 400 and r.json()["error"]["code"] == code, r.text
    assert client.get(f"{BASE}/{made['id']}", headers=AUTH).json()["url"] == made["url"]


def test_bad_delivery_cursors(client, receiver):
    made = _add(client, receiver, "/cursor")
    for q in (
        "state=nope",
        "before=0",
        "before=-1",
        "limit=0",
        "limit=100000",
        "before=" + "9" * 40,
        "state=" + "x" * 100,
    ):
        r = client.get(f"{BASE}/{made['id']}/deliveries?{q}", headers=AUTH)
        assert r.status_code == 400, (q, r.text)


def test_the_public_key_is_published(client, w):
    r = client.get("/api/v1/webhooks/keys")
    assert r.status_code == 200
    [key] = r.json()["keys"]
    assert key["key"].startswith("whpk_") and key["signature_version"] == "v1a"
    assert key["key"] == w.worker.webhooks.keys.portal_key.public  # the worker signs with it
    assert "ratio.below" in r.json()["event_types"]


def test_the_devnet_path_a_snapshot_reaches_a_receiver_signed(client, receiver, w):
    from standardwebhooks.webhooks import Webhook

    made = _add(client, receiver, "/devnet", events=["attestation.published", "attestation.finalized"])
    env = w.snapshot()
    w.call(w.worker.webhooks.tick)
    w.call(w.worker.webhooks.drain)
    got = receiver.wait_for("/devnet", 2)
    bodies = [json.loads(r.body) for r in got]
    assert {b["type"] for b in bodies} == {"attestation.published", "attestation.finalized"}
    for r in got:
        Webhook(made["secret"]).verify(r.body, r.headers)
    published = next(b for b in bodies if b["type"] == "attestation.published")
    ref = published["data"]["attestation"]
    assert ref["id"] == env["id"] and ref["sequence"] == env["attestation"]["sequence"]
    fetched = client.get(ref["path"])
    assert fetched.status_code == 200 and fetched.json()["id"] == env["id"]
    assert published["data"]["status"] == env["attestation"]["status"]


def test_a_snapshot_rolled_back_after_its_events_sends_nothing(client, receiver, w, monkeypatch):
    """The events of an attestation are written in its transaction: when the store fails after them,
    neither the attestation nor any event exists, and no receiver hears of it."""
    from sqlalchemy import func, select

    import reserves.snapshot.store as store
    from reserves.storage.engine_models import EngineEventRow
    from reserves.storage.models import AttestationRow

    _add(client, receiver, "/rollback", events=["attestation.published", "status.changed", "source.stale"])

    async def counts():
        async with w.db.sessions() as session:
            events = (await session.exec(select(func.count()).select_from(EngineEventRow))).one()
            attestations = (await session.exec(select(func.count()).select_from(AttestationRow))).one()
            return events, attestations

    before = w.call(counts)
    original = store._published

    async def fail_after_the_events(session, *args, **kwargs):
        await original(session, *args, **kwargs)
        await session.flush()  # the event rows were written...
        raise RuntimeError("disk full")  # ...and then the transaction fails

    monkeypatch.setattr(store, "_published", fail_after_the_events)
    with pytest.raises(Exception) as failed:
        w.snapshot(cosign_it=False)
    assert "disk full" in repr(failed.value) or "disk full" in str(getattr(failed.value, "detail", ""))
    monkeypatch.setattr(store, "_published", original)
    assert w.call(counts) == before
    w.call(w.worker.webhooks.tick)
    w.call(w.worker.webhooks.drain)
    assert receiver.at("/rollback") == []
