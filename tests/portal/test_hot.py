"""The web process's in-memory view (reserves.read.hot): what it serves is current within its poll,
conditional GETs answer 304, HEAD answers wherever GET does, and staleness is never cached."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from reserves.devnet.guardians import cosign
from reserves.snapshot.take import take_snapshot
from tests.portal.conftest import snapshot


def wait_for(predicate, seconds: float = 10.0):
    """Poll until `predicate()` is truthy; the view's own poll is a quarter of a second."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("not seen in time")


def test_a_new_attestation_is_served_by_the_poll_alone(client):
    snapshot(client)
    rt = client.world
    before = client.get("/api/v1/attestations/latest").json()["id"]
    rt.tick()
    env = rt.call(take_snapshot, rt.worker.context)  # written as the worker does: nothing tells the web app
    assert env["id"] != before
    wait_for(lambda: client.get("/api/v1/attestations/latest").json()["id"] == env["id"])
    wait_for(lambda: client.get("/api/v1/summary").json()["attestation_id"] == env["id"])
    wait_for(lambda: env["id"][:12] in client.get("/").text or env["id"] in client.get("/").text)


def test_etag_304_and_a_guardian_signature_changes_the_tag(client):
    env = snapshot(client, cosign=False)
    r = client.get("/api/v1/attestations/latest")
    assert r.json()["id"] == env["id"]
    etag = r.headers["etag"]
    assert etag == f'"{env["id"]}.0"' and "max-age=2" in r.headers["cache-control"]
    again = client.get("/api/v1/attestations/latest", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get("/api/v1/attestations/latest", headers={"If-None-Match": f'W/{etag}, "x"'}).status_code == 304
    assert client.get("/api/v1/attestations/latest", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/api/v1/attestations/latest", headers={"If-None-Match": "x" * 10_000}).status_code == 200
    by_id = client.get(f"/api/v1/attestations/{env['id']}")
    assert by_id.headers["etag"] == etag and by_id.content == r.content

    rt = client.world
    rt.call(cosign, rt.db, rt.worker.devnet_guardians)  # the worker's guardians sign: no one tells the web app
    # Two guardians sign one after the other: the tag is ".1" between them, then ".2".
    signed = wait_for(lambda: (x := client.get("/api/v1/attestations/latest")).headers["etag"].endswith('.2"') and x)
    assert signed.headers["etag"] == f'"{env["id"]}.2"'
    assert len(signed.json()["attestation"]["signatures"]) == len(r.json()["attestation"]["signatures"]) + 2
    assert client.get("/api/v1/attestations/latest", headers={"If-None-Match": etag}).status_code == 200
    # By id: the cached copy is checked again within its revalidation time.
    wait_for(lambda: client.get(f"/api/v1/attestations/{env['id']}").headers["etag"] == f'"{env["id"]}.2"')
    final = wait_for(
        lambda: (
            (x := client.get("/api/v1/attestations/latest", params={"final": "true"})).json()["id"] == env["id"] and x
        )
    )
    assert final.headers["etag"] == f'"{env["id"]}.2"'


def test_pages_and_summary_revalidate(client):
    snapshot(client)
    for path in ("/", "/api/v1/summary", "/partials/summary"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["etag"].startswith('"')
        second = client.get(path, headers={"If-None-Match": r.headers["etag"]})
        # Ages are shown in whole seconds: the tag holds until the second turns.
        assert second.status_code in (200, 304)
        if second.status_code == 304:
            assert second.content == b""


def test_head_wherever_get_is(client):
    env = snapshot(client)
    for path in (
        "/",
        "/api/v1/attestations/latest",
        f"/api/v1/attestations/{env['id']}",
        "/api/v1/attestations",
        "/api/v1/summary",
        "/api/v1/keys",
        "/healthz",
        "/static/portal.css",
        "/schema/openapi.json",
    ):
        get = client.get(path, headers={"Accept-Encoding": "identity"})
        head = client.head(path, headers={"Accept-Encoding": "identity"})
        assert head.status_code == get.status_code, (path, head.status_code, get.status_code)
        assert head.content == b"", path
        assert head.headers.get("content-type") == get.headers.get("content-type"), path
        if path.startswith("/api/v1/attestations/"):
            assert head.headers["etag"] == get.headers["etag"] and head.headers["content-length"] == str(
                len(get.content)
            )
    assert client.head("/api/v1/no-such-route").status_code == 404
    assert client.head(f"/api/v1/attestations/{'0' * 64}").status_code == 404


def test_head_on_the_event_stream_ends_after_the_headers(client):
    r = client.head("/api/v1/events/stream", timeout=10)
    assert r.status_code == 200 and r.content == b"" and r.headers["content-type"].startswith("text/event-stream")
    assert client.get("/api/v1/keys").status_code == 200  # the process goes on serving


def test_staleness_is_applied_per_request_never_cached(client):
    snapshot(client)
    hot = client.app.state.services.hot
    now = datetime.now(timezone.utc)
    fresh = client.world.call(hot.dashboard, now)
    assert fresh.status != "stale" or fresh.published_status == "stale"
    later = client.world.call(hot.dashboard, now + timedelta(hours=1))
    assert later.status == "stale" and later.published_status == fresh.published_status
    assert later.age_seconds >= 3600 and "old" in later.status_reasons[0]
    ahead = client.world.call(hot.dashboard, now - timedelta(hours=1))
    assert ahead.status == "stale" and "future" in ahead.status_reasons[0]


def test_the_by_id_cache_is_bounded(client):
    ids = [snapshot(client)["id"] for _ in range(3)]
    hot = client.app.state.services.hot
    one = len(client.get(f"/api/v1/attestations/{ids[0]}").content)
    hot.cache_bytes = one * 4 + 1  # room for about one document next to the latest and final ones
    for attestation_id in ids * 3:
        assert client.get(f"/api/v1/attestations/{attestation_id}").json()["id"] == attestation_id
    assert hot._by_id_bytes <= hot.cache_bytes
    assert len(hot._by_id) <= 4
