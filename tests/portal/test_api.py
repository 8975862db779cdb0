"""The JSON API on the real devnet: shapes, pagination, and hostile input answered with a clear 4xx."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
from litestar.testing import TestClient

from portal.app import create_app
from reserves.attestation.verify import verify_chain, verify_document
from reserves.settings.load import default_settings
from tests.portal.conftest import snapshot
from tests.support import serve_now

STATIC = Path(__file__).resolve().parents[2] / "portal" / "static"
HTMX_2_0_11_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


def error_code(resp) -> str:
    body = resp.json()
    assert set(body) == {"error"} and {"code", "detail"} <= set(body["error"]), body
    return body["error"]["code"]


def test_before_the_first_attestation(client):
    r = client.get("/api/v1/attestations/latest")
    assert r.status_code == 404 and error_code(r) == "not_found"
    health = client.get("/readyz")
    assert health.status_code == 200 and health.json()["status"] == "starting"
    assert "Waiting for the first attestation" in client.get("/").text


def test_latest_by_id_and_keys(client):
    env = snapshot(client)
    latest = client.get("/api/v1/attestations/latest").json()
    assert latest == env
    one = client.get(f"/api/v1/attestations/{env['id']}")
    # The devnet declares guardians: their signatures may still be added, so no "immutable".
    assert one.json() == env and "immutable" not in one.headers["cache-control"]
    keys = client.get("/api/v1/keys").json()["keys"]
    trusted = {k["pubkey"]: k["key_id"] for k in keys if k["role"] == "engine"}
    assert verify_document(latest, trusted_keys=trusted).ok
    assert latest["attestation"]["status"] == "healthy"


def test_pagination_walks_the_whole_chain_newest_first(client):
    for _ in range(6):
        snapshot(client)
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/attestations", params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["items"]) <= 3 and page["limit"] == 3
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    seqs = [e["attestation"]["sequence"] for e in seen]
    assert seqs == sorted(seqs, reverse=True) and seqs[-1] == 0 and len(set(seqs)) == len(seqs)
    default = client.get("/api/v1/attestations").json()
    assert default["limit"] == 50 and len(default["items"]) == len(seen) and default["next_cursor"] is None
    keys = {k["pubkey"]: k["key_id"] for k in client.get("/api/v1/keys").json()["keys"] if k["role"] == "engine"}
    report = verify_chain(seen, keys)
    assert report.ok, report.failed()


def test_summary_and_dashboard_show_the_same_numbers(client):
    env = snapshot(client)
    summary = client.get("/api/v1/summary").json()
    body = env["attestation"]
    assert summary["attestation_id"] == env["id"] and summary["ratio_bp"] == body["ratio_bp"]
    assert summary["devnet"] is True
    html = client.get("/").text
    partial = client.get("/partials/summary").text
    for text in (summary["ratio_percent"], summary["reserves_btc"], summary["liabilities_btc"], env["id"]):
        assert text in html and text in partial
    supply, reserves = client.get("/supply").text, client.get("/reserves").text
    for dep in summary["deployments"]:
        assert dep["chain_id"] in supply and dep["block_hash"] in supply and str(dep["height"]) in supply
        assert dep["name"] in html  # the overview's line per deployment
    for src in summary["reserve_sources"]:
        assert src["block_hash"] in reserves
    # Refreshed at once on stream events, and by a slow poll when the stream is unavailable.
    assert "DEVNET" in html and "sse:attestation.published" in partial and 'every 30s"' in partial


def test_htmx_is_served_from_the_package_not_a_cdn(client):
    html = client.get("/").text
    assert '<script src="/static/htmx-2.0.11.min.js"' in html and "https://" not in html.split("<body")[0]
    js = client.get("/static/htmx-2.0.11.min.js")
    assert js.status_code == 200 and hashlib.sha256(js.content).hexdigest() == HTMX_2_0_11_SHA256
    assert hashlib.sha256((STATIC / "htmx-2.0.11.min.js").read_bytes()).hexdigest() == HTMX_2_0_11_SHA256


def test_history_and_health(client):
    snapshot(client)
    hist = client.get("/api/v1/history", params={"bucket": 60}).json()
    assert hist["bucket_seconds"] == 60 and sum(p["points"] for p in hist["points"]) >= 1
    small = client.get("/api/v1/history", params={"bucket": 10})  # no range: the last 500 buckets
    assert small.status_code == 200 and sum(p["points"] for p in small.json()["points"]) >= 1
    client.world.call(client.world.worker.status.beat, True)  # it beats only when told: it may have gone silent
    health = client.get("/readyz").json()
    assert health["status"] == "ok" and health["latest_sequence"] >= 0 and health["reasons"] == []
    assert client.get("/schema/openapi.json").json()["info"]["title"] == "Reserves portal API"


@pytest.mark.parametrize(
    "bad_id", ["xyz", "a" * 63, "A" * 64, "a" * 65, "g" * 64, "%00" * 10, "..%2f..%2fetc", "é" * 64, "a" * 5000]
)
def test_malformed_ids(client, bad_id):
    r = client.get(f"/api/v1/attestations/{bad_id}")
    # A path over 2 KiB is a 414 before routing (docs/api.md "Request limits").
    assert r.status_code in (400, 404, 414) and error_code(r) in ("invalid_input", "not_found", "uri_too_long")


def test_unknown_id_is_404(client):
    r = client.get("/api/v1/attestations/" + "0" * 64)
    assert r.status_code == 404 and error_code(r) == "not_found"


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"limit": -1},
        {"limit": "abc"},
        {"limit": "9" * 40},
        {"cursor": "!!!"},
        {"cursor": "czotMQ"},
        {"cursor": "x" * 65},
        {"cursor": "czoxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1"},
        {"cursor": "AAAA"},
        {"cursor": "czo5OTk5OTk5OTk5OTk5OTk5OTk5OQ"},
        {"cursor": "czo5MDA3MTk5MjU0NzQwOTky"},
    ],
)
def test_malformed_list_parameters(client, params):
    r = client.get("/api/v1/attestations", params=params)
    assert r.status_code == 400 and error_code(r) == "invalid_input", r.text


@pytest.mark.parametrize(
    "params",
    [
        {"from": "yesterday"},
        {"from": "2026-11-22T00:00:00Z", "to": "2026-11-21T00:00:00Z"},
        {"bucket": 0},
        {"bucket": -5},
        {"bucket": "x"},
        {"from": "2020-01-01T00:00:00Z", "bucket": 1},
        {"from": "2026-11-22T00:00:00"},
        {"to": "0001-01-01T00:00:01Z"},
        {"from": "0001-01-01T00:30:00+01:00", "to": "0001-01-02T00:00:00Z"},
        {"from": "9999-12-31T20:00:00Z", "to": "9999-12-31T23:00:00-02:00"},
    ],
)
def test_malformed_history_parameters(client, params):
    r = client.get("/api/v1/history", params=params)
    assert r.status_code == 400 and error_code(r) == "invalid_input", r.text


def test_wrong_methods_unknown_paths_and_bodies(client):
    assert client.post("/api/v1/attestations", json={"a": 1}).status_code == 405
    r = client.delete("/api/v1/attestations/latest")
    assert r.status_code == 405 and error_code(r) == "method_not_allowed"
    r = client.get("/api/v1/nope")
    assert r.status_code == 404 and error_code(r) == "not_found"
    r = client.post("/api/v1/keys", content=b"x" * (2 * 1024 * 1024))
    assert r.status_code in (405, 413)
    assert client.get("/api/v1/attestations", headers={"X-Junk": "y" * 8000}).status_code == 200


def test_an_old_attestation_is_shown_stale_and_health_degrades(client):
    """A dead snapshot job must never leave an old "healthy" on screen."""
    from datetime import datetime, timedelta, timezone

    env = snapshot(client)
    service = client.app.state.services.reserves
    later = datetime.now(timezone.utc) + timedelta(seconds=service.stale_after_seconds + 5)
    view = client.blocking_portal.call(lambda: service.dashboard(now=later))
    assert view.status == "stale" and view.published_status == env["attestation"]["status"]
    assert "old" in view.status_reasons[0]
    fresh = client.get("/readyz")
    assert fresh.status_code == 200 and fresh.json()["status"] == "ok"
    original = type(service).__dict__["stale_after_seconds"]
    type(service).stale_after_seconds = property(lambda self: -1)  # every attestation is now "too old"
    try:
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["status"] == "degraded"
        assert r.json()["reasons"] == ["attestation_stale"]
        assert client.get("/healthz").status_code == 200  # liveness: the process still serves
        assert client.get("/api/v1/summary").json()["status"] == "stale"
        assert "last signed status" in client.get("/partials/summary").text
    finally:
        type(service).stale_after_seconds = original


def test_partial_totals_are_labelled(client):
    from dataclasses import replace as dc_replace

    from tests.doubles.adapters import BackendDown, ScriptedSupplyAdapter

    rt = client.world
    first = rt.worker.sources.supply[0]
    rt.worker.sources.supply[0] = dc_replace(
        first, adapter=ScriptedSupplyAdapter(first.settings.name, error=BackendDown("down"))
    )
    try:
        env = snapshot(client)
    finally:
        rt.worker.sources.supply[0] = first
    assert env["attestation"]["status"] == "stale" and env["attestation"]["ratio_bp"] is None
    summary = client.get("/api/v1/summary").json()
    assert summary["partial"] is True and summary["status"] == "stale"
    assert "partial: not every deployment was read" in client.get("/").text
    snapshot(client)  # the next one reads everything again
    assert client.get("/api/v1/summary").json()["partial"] is False


def test_a_page_stops_at_its_byte_budget_and_the_cursor_carries_on(client, monkeypatch):
    import reserves.read.service as service_mod

    for _ in range(3):
        snapshot(client)
    total = client.get("/api/v1/attestations", params={"limit": 500}).json()["items"]
    one_doc = len(__import__("json").dumps(total[0]["attestation"], separators=(",", ":")))
    monkeypatch.setattr(service_mod, "MAX_PAGE_BYTES", int(one_doc * 1.5))  # room for one document
    serve_now(client)
    seen, cursor = [], None
    while True:
        params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/attestations", params=params).json()
        assert len(page["items"]) == 1
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [e["id"] for e in seen] == [e["id"] for e in total]


def test_a_database_outage_is_a_503_not_a_500(client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    snapshot(client)
    services = client.app.state.services
    before = client.get("/api/v1/attestations/latest").json()

    class DownSessions:  # test double: every session fails as a dead server would
        def __call__(self):
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(services.reserves.db, "sessions", DownSessions())
    with pytest.raises(OperationalError):  # what the web process's poll meets: it keeps what it read
        client.blocking_portal.call(services.hot.refresh)
    for path in ("/api/v1/attestations", "/api/v1/reserve-set/versions", f"/api/v1/attestations/{'0' * 64}"):
        r = client.get(path)
        assert r.status_code == 503, (path, r.text)
        assert r.json()["error"]["code"] == "storage" and r.headers["retry-after"] == "5"
    # What the crowd reads stays up from memory: the signed document, and figures aged per request
    # (test_an_unreachable_database_ages_the_cached_view_into_stale).
    assert client.get("/api/v1/attestations/latest").json() == before
    assert client.get("/api/v1/summary").json()["attestation_id"] == before["id"]
    assert client.get("/").status_code == 200
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["database"] == "unavailable"
    assert r.json()["reasons"] == ["database_unavailable"]
    assert client.get("/healthz").status_code == 200  # liveness reads no database


def test_a_process_that_never_read_the_database_answers_503(tmp_path, monkeypatch):
    from sqlalchemy.exc import OperationalError

    s = default_settings(tmp_path)
    with TestClient(create_app(replace(s, devnet=replace(s.devnet, enabled=False)))) as fresh:
        services = fresh.app.state.services

        class DownSessions:
            def __call__(self):
                raise OperationalError("SELECT 1", {}, Exception("connection refused"))

        # The poll stops first: a read it had in flight could otherwise land after the reset below (a
        # loaded machine did that) and answer from what it read.
        fresh.blocking_portal.call(services.hot.stop)
        monkeypatch.setattr(services.reserves.db, "sessions", DownSessions())
        services.hot._dashboard, services.hot._read_once = None, False  # as at start, before the first read
        for path in ("/api/v1/attestations/latest", "/api/v1/summary", "/"):
            r = fresh.get(path)
            assert r.status_code == 503 and r.json()["error"]["code"] == "storage", (path, r.text)


def test_stale_by_age_boundary_and_future_dates(client):
    from datetime import timedelta

    env = snapshot(client)
    service = client.app.state.services.reserves
    issued = datetime_of(env)
    limit = service.stale_after_seconds
    at_limit = client.blocking_portal.call(lambda: service.dashboard(now=issued + timedelta(seconds=limit)))
    past = client.blocking_portal.call(lambda: service.dashboard(now=issued + timedelta(seconds=limit + 1)))
    assert at_limit.status == env["attestation"]["status"] and past.status == "stale"
    ahead = client.blocking_portal.call(lambda: service.dashboard(now=issued - timedelta(minutes=5)))
    assert ahead.status == "stale" and "future" in ahead.status_reasons[0]


def datetime_of(env):
    from datetime import datetime

    return datetime.fromisoformat(env["attestation"]["issued_at"].replace("Z", "+00:00"))


def test_health_is_degraded_while_no_live_worker_leads(client):
    """Fresh data is not health: once the only worker is gone nothing new will be published, and
    /readyz says so at once instead of answering ok until the newest attestation ages out."""
    rt = client.world
    snapshot(client)
    rt.call(rt.worker.status.beat, True)  # this module's worker beats only when told: it may have gone silent
    assert client.get("/readyz").json()["status"] == "ok"
    rt.call(rt.worker.status.gone)
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["status"] == "degraded"
    assert r.json()["reasons"] == ["no_leader"] and r.json()["latest_sequence"] is not None
    rt.call(rt.worker.status.beat, True)
    assert client.get("/readyz").status_code == 200


def test_hostile_nesting_and_names_are_client_errors(client):
    """JSON nested deeper than the parser's recursion allows (8 KB of brackets, far under the body
    limit) and a static file name longer than the file system allows are the client's errors."""
    for depth in (3_000, 5_000, 100_000):
        deep = "[" * depth + "]" * depth
        for path in ("/api/v1/challenges", "/api/v1/attestations/" + "ab" * 32 + "/signatures"):
            r = client.post(path, content=deep, headers={"content-type": "application/json"})
            assert 400 <= r.status_code < 500 and "error" in r.json(), (depth, path, r.status_code, r.text[:200])
    for name in ("a" * 300, "a/" * 3000, "%00" * 50):
        r = client.get("/static/" + name)
        # A path over 2 KiB is a 414 (portal.limits) before it reaches the file system.
        assert r.status_code in (400, 404, 414) and "error" in r.json(), (name[:20], r.status_code, r.text[:200])
