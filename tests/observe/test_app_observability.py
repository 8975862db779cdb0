"""The web app's observability, in process over the real devnet: request ids (echoed, validated, in the
log records of the request), HTTP metrics by route template, the newest attestation's figures as the
dashboard says them, and public health answers that name no host, process or error."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket

import pytest

from portal.observe.logs import JsonFormatter, RequestIdFilter
from tests.portal.conftest import snapshot

HEX32 = re.compile(r"[0-9a-f]{32}")


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one series in a Prometheus text exposition (None when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    line = f"{name}{{{want}}} " if labels else f"{name} "
    for row in text.splitlines():
        if row.startswith(line):
            return float(row[len(line) :])
    return None


def test_a_sane_request_id_is_echoed_and_anything_else_replaced(client):
    for given in ("abc-123", "trace.ID:7_x", "a" * 128):
        assert client.get("/healthz", headers={"X-Request-ID": given}).headers["x-request-id"] == given
    for hostile in ("a" * 129, "two words", "x\u00e9".encode(), "<script>", "a\tb", ""):
        got = client.get("/healthz", headers={"X-Request-ID": hostile}).headers["x-request-id"]
        assert HEX32.fullmatch(got), (hostile, got)
    one, two = (client.get("/api/v1/keys").headers["x-request-id"] for _ in range(2))
    assert HEX32.fullmatch(one) and one != two
    # Every answer has one, a 404 from routing and an error from a handler included.
    assert HEX32.fullmatch(client.get("/no/such/route").headers["x-request-id"])
    assert HEX32.fullmatch(client.get("/api/v1/attestations/zz").headers["x-request-id"])


def test_log_records_of_a_request_carry_its_id(client, monkeypatch):
    """A record logged while /readyz runs (the database is down) has the request's id, in JSON."""
    from sqlalchemy.exc import OperationalError

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    service = client.app.state.services.reserves

    class DownSessions:  # test double: every session fails as a dead server would
        def __call__(self):
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    try:
        monkeypatch.setattr(service.db, "sessions", DownSessions())
        r = client.get("/readyz", headers={"X-Request-ID": "req-42"})
        logging.getLogger("outside").warning("not in a request")
    finally:
        root.removeHandler(handler)
    assert r.status_code == 503 and r.json()["reasons"] == ["database_unavailable"]
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    inside = [x for x in records if "readiness" in x["message"]]
    assert inside and all(x["request_id"] == "req-42" for x in inside)
    assert {"time", "level", "logger", "message"} <= set(inside[0]) and inside[0]["level"] == "WARNING"
    outside = next(x for x in records if x["message"] == "not in a request")
    assert "request_id" not in outside


def test_http_metrics_use_route_templates_and_one_label_for_unknown_paths(client):
    env = snapshot(client)
    before = client.get("/metrics").text
    route = "/api/v1/attestations/{attestation_id}"
    n0 = metric(before, "reserves_http_requests_total", method="GET", route=route, status="200") or 0
    u0 = metric(before, "reserves_http_requests_total", method="GET", route="unmatched", status="404") or 0
    for _ in range(3):
        assert client.get(f"/api/v1/attestations/{env['id']}").status_code == 200
    for i in range(5):
        assert client.get(f"/random/path/{i}").status_code == 404
    client.request("BREW", "/api/v1/keys")  # an invented method counts as `other`
    text = client.get("/metrics").text
    assert metric(text, "reserves_http_requests_total", method="GET", route=route, status="200") == n0 + 3
    assert metric(text, "reserves_http_requests_total", method="GET", route="unmatched", status="404") == u0 + 5
    assert env["id"] not in text and "/random/path" not in text and "BREW" not in text
    assert 'method="other"' in text
    count = metric(text, "reserves_http_request_duration_seconds_count", method="GET", route=route)
    assert count is not None and count >= 3
    r = client.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain") and r.headers["cache-control"] == "no-store"


def test_attestation_figures_are_read_at_scrape_time_and_stale_as_on_the_dashboard(client):
    env = snapshot(client)
    body = env["attestation"]
    text = client.get("/metrics").text
    assert metric(text, "reserves_attestation_sequence") == body["sequence"]
    assert metric(text, "reserves_ratio_bp") == int(body["ratio_bp"])
    assert metric(text, "reserves_reserves_sat") == int(body["reserves"]["total_sat"])
    assert metric(text, "reserves_supply_sat") == int(body["supply"]["total_sat"])
    assert metric(text, "reserves_database_up") == 1
    statuses = {
        s: metric(text, "reserves_status", status=s) for s in ("healthy", "warning", "undercollateralized", "stale")
    }
    assert statuses[body["status"]] == 1 and sum(statuses.values()) == 1
    for src in body["reserves"]["sources"]:
        age = metric(text, "reserves_source_age_seconds", side="reserves", source=src["name"])
        assert age is not None and age >= 0
    for dep in body["supply"]["deployments"]:
        assert metric(text, "reserves_source_age_seconds", side="supply", source=dep["name"]) is not None
    # Past stale_after the newest attestation no longer speaks for now: stale, as the summary says.
    service = client.app.state.services.reserves
    original = type(service).__dict__["stale_after_seconds"]
    type(service).stale_after_seconds = property(lambda self: -1)
    try:
        text = client.get("/metrics").text
        assert client.get("/api/v1/summary").json()["status"] == "stale"
    finally:
        type(service).stale_after_seconds = original
    assert metric(text, "reserves_status", status="stale") == 1
    assert metric(text, "reserves_status", status=body["status"]) == (1 if body["status"] == "stale" else 0)


def test_metrics_answer_without_the_database(client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    service = client.app.state.services.reserves

    class DownSessions:  # test double: every session fails as a dead server would
        def __call__(self):
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(service.db, "sessions", DownSessions())
    r = client.get("/metrics")
    assert r.status_code == 200 and metric(r.text, "reserves_database_up") == 0
    assert "reserves_status" not in r.text and "reserves_http_requests_total" in r.text
    assert client.get("/healthz").json() == {"status": "ok"}  # liveness reads no database


def test_public_health_names_no_host_process_or_error(client):
    snapshot(client)
    for path in ("/healthz", "/readyz"):
        r = client.get(path)
        assert r.headers["cache-control"] == "no-store"
        text = r.text
        assert socket.gethostname() not in text and f":{os.getpid()}" not in text
        assert not {"replica", "workers", "leader", "last_snapshot_error", "reason"} & set(r.json())
    ready = client.get("/readyz").json()
    assert set(ready) == {
        "status",
        "reasons",
        "database",
        "latest_sequence",
        "latest_age_seconds",
        "latest_status",
        "stale_after_seconds",
    }
    # The operators' view is an admin route: off (404) without an admin token.
    assert client.get("/admin/v1/health").status_code == 404


@pytest.mark.parametrize("path", ["/readyz", "/admin/v1/health"])
def test_the_operator_view_has_the_workers_behind_the_token(client, path):
    snapshot(client)
    client.app.state.admin_keyring.token = "t" * 32  # as create_app keeps [admin] token
    try:
        r = client.get(path, headers={"Authorization": "Bearer " + "t" * 32})
        unauthorized = client.get("/admin/v1/health")
    finally:
        client.app.state.admin_keyring.token = None
    assert r.status_code == 200 and unauthorized.status_code == 401
    body = r.json()
    if path == "/admin/v1/health":
        assert body["leader"] is True and body["replica"] and len(body["workers"]) == 1
        assert body["last_snapshot_error"] is None and body["status"] == "ok"
    else:
        assert "replica" not in body


def test_the_batched_recorder_writes_what_observe_would():
    """HttpRecorder writes n observations at a time through the histogram's own buckets: the
    exposition must be the one Histogram.observe gives for the same values (bounds included)."""
    import asyncio

    from prometheus_client import CollectorRegistry, Histogram

    from portal.observe.metrics import BUCKETS, HTTP_DURATION, HTTP_REQUESTS, RECORDER

    values = [0.0, 0.0005, 0.001, 0.0011, 0.003, 0.003, 0.25, 0.7, 1.0, 9.99, 10.0, 42.0]
    reference = Histogram("ref", "reference", ["method", "route"], buckets=BUCKETS, registry=CollectorRegistry())

    async def record() -> None:
        for v in values:
            RECORDER.record("GET", "/test/recorder", 200, v)
            reference.labels("GET", "/test/recorder").observe(v)
        RECORDER.record("POST", "/test/recorder", 503, 0.01)
        RECORDER.flush()

    asyncio.run(record())

    def samples(histogram, name: str) -> dict:
        family = next(iter(histogram.collect()))
        return {
            (s.name.replace(name, ""), s.labels.get("le")): s.value
            for s in family.samples
            if s.labels.get("route") == "/test/recorder"
            and s.labels.get("method") == "GET"
            and not s.name.endswith("_created")
        }

    assert samples(HTTP_DURATION, "reserves_http_request_duration_seconds") == samples(reference, "ref")
    assert HTTP_REQUESTS.labels("GET", "/test/recorder", "200")._value.get() == len(values)
    assert HTTP_REQUESTS.labels("POST", "/test/recorder", "503")._value.get() == 1


def test_answers_before_routing_are_counted_by_their_route(client):
    """The hot paths, the one-second cache's replays and HEAD answer without Litestar's router (or on
    a copy of the scope): each still names its route, none counts as `unmatched`."""
    env = snapshot(client)

    def count(text: str, method: str, route: str, status: str = "200") -> float:
        return metric(text, "reserves_http_requests_total", method=method, route=route, status=status) or 0

    before = client.get("/metrics").text
    by_id = "/api/v1/attestations/{attestation_id}"
    for _ in range(2):
        assert client.get("/api/v1/attestations/latest").status_code == 200
        assert client.get(f"/api/v1/attestations/{env['id']}").status_code == 200
        assert client.get("/api/v1/keys").status_code == 200  # the second from the one-second cache
        assert client.head("/api/v1/summary").status_code == 200
    after = client.get("/metrics").text
    assert count(after, "GET", "/api/v1/attestations/latest") == count(before, "GET", "/api/v1/attestations/latest") + 2
    assert count(after, "GET", by_id) == count(before, "GET", by_id) + 2
    assert count(after, "GET", "/api/v1/keys") == count(before, "GET", "/api/v1/keys") + 2
    assert count(after, "HEAD", "/api/v1/summary") == count(before, "HEAD", "/api/v1/summary") + 2
    assert count(after, "GET", "unmatched", "404") == count(before, "GET", "unmatched", "404")
