"""The public pages through the app: each complete as served (no section waits for htmx), with the
navigation, landmarks and caching of a page, and hostile input refused with a 4xx, never a 500."""

from __future__ import annotations

import re

import pytest

from tests.portal.conftest import snapshot
from tests.support import serve_now

AREAS = ["/reserves", "/supply", "/proofs", "/attestations", "/history", "/monitor", "/reconciliation", "/trust"]
PAGES = ["/", *AREAS]


@pytest.fixture(scope="module")
def stocked(client):
    for _ in range(3):
        env = snapshot(client)
    serve_now(client)
    return client, env


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_complete_without_javascript(stocked, path):
    client, _ = stocked
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    # Landmarks and the navigation bar, the current page marked.
    assert html.count("<main") == 1 and "<header" in html and "<footer" in html and 'aria-label="Sections"' in html
    assert re.search(rf'<a href="{re.escape(path)}" aria-current="page">', html), path
    assert 'class="skip" href="#content"' in html
    # Nothing is left for htmx to load: a section refreshes itself, it is never empty as served.
    assert 'hx-trigger="load' not in html
    assert not re.search(r"<section[^>]*hx-get[^>]*>\s*</section>", html)
    # Every table has a caption and every header cell a scope.
    for table in re.findall(r"<table.*?</table>", html, flags=re.S):
        assert "<caption" in table, table[:200]
        assert not re.search(r"<th(?=[\s>])(?![^>]*scope=)[^>]*>", table), table[:300]
    # No inline code (the CSP would refuse it) and no request leaving the origin.
    assert " style=" not in html and "<script>" not in html and "https://" not in html.split("<body")[0]
    # Cached like every "now" answer, and revalidated.
    assert r.headers["cache-control"] == "public, max-age=2, must-revalidate" and r.headers["etag"]
    again = client.get(path, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code in (200, 304)  # 200 only when a second passed and an age changed
    head = client.head(path)
    assert head.status_code == 200 and head.content == b""


def test_the_overview_answers_the_question_in_its_first_lines(stocked):
    client, env = stocked
    html = client.get("/").text
    summary = client.get("/api/v1/summary").json()
    verdict = html[html.index('id="summary"') : html.index("</section>", html.index('id="summary"'))]
    for text in (
        summary["ratio_percent"],
        summary["reserves_btc"],
        summary["liabilities_btc"],
        summary["issued_at"].replace("T", " ").replace("Z", " UTC"),
        f"/attestations/{summary['attestation_id']}",
        'id="finality"',
        'id="verify-link"',
    ):
        assert text in verdict, text
    assert re.search(r"\((just now|\d+ s ago|\d+ min ago)\)", verdict)
    assert len(html.encode()) < 100_000
    # One line per area, each a link to its page.
    for area in ("/reserves", "/supply", "/proofs", "/trust", "/monitor", "/reconciliation", "/history"):
        assert f'<a href="{area}">' in html[html.index('id="summary"') :], area


def test_area_pages_refresh_their_own_content(stocked):
    client, _ = stocked
    for path in ("/reserves", "/supply", "/proofs", "/monitor", "/reconciliation", "/trust"):
        html = client.get(path).text
        assert f'id="live" hx-get="{path}" hx-select="#live" hx-swap="outerHTML"' in html, path


def test_the_attestation_list_pages_down_by_sequence(stocked):
    client, _ = stocked
    listing = client.get("/attestations").text
    sequences = [int(s) for s in re.findall(r'<tr data-sequence="(\d+)">', listing)]
    assert sequences == sorted(sequences, reverse=True) and len(sequences) >= 3
    below = client.get("/attestations", params={"before": sequences[0]}).text
    assert re.findall(r'<tr data-sequence="(\d+)">', below)[0] == str(sequences[1])
    assert re.findall(r'<tr data-sequence="(\d+)">', client.get("/attestations", params={"before": 1}).text) == ["0"]


@pytest.mark.parametrize(
    "path",
    [
        "/attestations?before=abc",
        "/attestations?before=0",
        "/attestations?before=-1",
        "/attestations?before=99999999999999999999999",
        "/attestations?before=1&before=2",
        "/attestations?before=" + "9" * 5000,
        "/history?range=decade",
        "/history?series=%3Cscript%3E",
        "/attestations/" + "z" * 64,
        "/attestations/" + "a" * 63,
        "/attestations/%00",
        "/reserves/../admin/v1/health",
    ],
)
def test_hostile_page_input_is_a_clear_4xx(stocked, path):
    client, _ = stocked
    r = client.get(path, headers={"Accept": "text/html"})
    assert 400 <= r.status_code < 500, (path, r.status_code)
    if r.status_code == 400 and "/admin" not in path:
        assert r.headers["content-type"].startswith("text/html"), path  # a page's 400 is a page
    assert "Traceback" not in r.text and "<script>" not in r.text


def test_unknown_query_parameters_do_not_change_a_page(stocked):
    client, _ = stocked
    r = client.get("/reserves", params={"x": "<script>alert(1)</script>"})
    assert r.status_code == 200 and "<script>alert(1)</script>" not in r.text


def test_a_crowd_on_a_page_computes_it_once_a_second(stocked, monkeypatch):
    client, _ = stocked
    proofs = client.app.state.services.proofs
    calls = []
    real = proofs.status

    async def counted():
        calls.append(1)
        return await real()

    monkeypatch.setattr(proofs, "status", counted)
    client.app.state.microcache.clear()
    bodies = {client.get("/").text for _ in range(20)} | {client.get("/proofs").text for _ in range(20)}
    assert len(calls) <= 4 and len(bodies) <= 4  # once per page, or twice when a second turned


def test_more_guardian_signatures_than_required_never_read_3_of_2():
    from reserves.read.views import DashboardView, Finality
    from tests.support import render_template

    f = Finality("final", threshold=2, guardians=3, signed=3, final_at="2026-01-01T00:00:00Z")
    view = DashboardView(
        has_data=True,
        devnet=False,
        token_symbol="X",
        issuer_name="I",
        stale_after_seconds=60,
        status="healthy",
        published_status="healthy",
        ratio_bp="10000",
        ratio_percent="100.00%",
        sequence=1,
        attestation_id="ab" * 32,
        issued_at="2026-01-01T00:00:00Z",
        age_seconds=5,
        finality=f,
    )
    html = render_template("dashboard.html", v=view, chart=None, areas=None)
    assert "3 of 3 guardians signed" in html and "3 of 2" not in html
    pending = Finality("pending", threshold=2, guardians=3, signed=1, final_at=None)
    html = render_template(
        "dashboard.html", v=view.__class__(**{**view.__dict__, "finality": pending}), chart=None, areas=None
    )
    assert "1 of 2 guardian signatures required, 1 missing" in html or "1 missing" in html


def test_the_newest_attestation_page_says_stale_when_it_is_stale_now(tmp_path):
    from datetime import datetime, timedelta, timezone

    from tests.portal.rig_portal import rig_portal

    with rig_portal(tmp_path) as p:
        p.snapshot(when=datetime.now(timezone.utc) - timedelta(hours=2))
        latest = p.client.get("/api/v1/attestations/latest").json()
        html = p.client.get(f"/attestations/{latest['id']}").text
        badge = p.client.get("/badge.svg").text
    assert latest["attestation"]["status"] == "healthy"
    assert re.search(
        r'id="status-now">The newest attestation; the status now is <strong>stale</strong>, stale since', html
    )
    assert 'class="card status-stale" id="status"' in html and "stale" in badge


def test_the_summary_partial_has_its_handler_behind_the_hot_path(stocked):
    # A query string goes past portal.hot_paths to the app: the Litestar route must answer it the same way.
    client, _ = stocked
    fast, routed = client.get("/partials/summary"), client.get("/partials/summary", params={"x": "1"})
    assert fast.status_code == routed.status_code == 200 and 'id="summary"' in routed.text
    assert routed.headers["content-type"].startswith("text/html")
