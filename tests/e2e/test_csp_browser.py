"""Every page the portal serves, in headless Chromium under its own Content-Security-Policy: no violation,
no console error, nothing loaded from another origin; and a page on another origin that can read the
public API and nothing else (issue 13, hardening)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import wait_for
from tests.e2e.test_dashboard_browser import browser  # noqa: F401 - the module's Chromium fixture
from tests.e2e.test_pages_browser import PAGES

# Recorded in the page before any of its own scripts run, so a violation at parse time is seen too.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push({
  directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile, line: e.lineNumber,
}), true);
"""
PARTIALS = {"/partials/summary"}  # the one htmx partial left: each area page refreshes itself (#live)


class Watch:
    """What one page did: console messages, uncaught errors, the browser's own log, every request."""

    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.console: list[str] = []
        self.log: list[str] = []
        self.requests: list[str] = []
        self.policies: dict[str, str | None] = {}
        self.failed: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on(
            "console", lambda m: self.console.append(f"{m.type}: {m.text}") if m.type in {"error", "warning"} else None
        )
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("response", self._response)
        # The browser's log (not console.*): CSP refusals, Permissions-Policy parse errors, failed loads.
        cdp = page.context.new_cdp_session(page)
        cdp.on("Log.entryAdded", lambda e: self.log.append(f"{e['entry']['level']}: {e['entry']['text']}"))
        cdp.send("Log.enable")

    def _response(self, response: Any) -> None:
        self.policies.setdefault(response.url, response.headers.get("content-security-policy"))
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")

    def paths(self) -> set[str]:
        return {u.removeprefix(self.base).split("?")[0] for u in self.requests if u.startswith(self.base)}

    def assert_clean(self) -> None:
        violations = self.page.evaluate("() => window.__violations")
        assert violations == [], violations
        assert self.failed == [], self.failed
        assert self.console == [], self.console
        assert [e for e in self.log if not e.startswith(("verbose", "info"))] == [], self.log
        elsewhere = [u for u in self.requests if not u.startswith(self.base)]
        assert elsewhere == [], f"loaded from another origin: {elsewhere}"
        # Every answer the page received was under the policy (the document, partials, static files).
        unguarded = [u for u, csp in self.policies.items() if not csp or "default-src 'self'" not in csp]
        assert unguarded == [], unguarded


def test_every_page_runs_under_the_policy(server, browser):  # noqa: F811
    base, _, proc, _ = server
    wait_for(base, proc, 1)
    newest = httpx.get(f"{base}/api/v1/attestations/latest", timeout=5).json()["id"]
    for path in PAGES:
        page = browser.new_page()
        watch = Watch(page, base)
        page.goto(base + path.format(id=newest))
        if path == "/":
            first = int(page.locator("#summary").get_attribute("data-sequence"))
            # A newer attestation arrives over the event stream and htmx swaps the summary in: the whole
            # live path (SSE extension, swaps, settling classes) has run under the policy by then.
            page.wait_for_function(
                f"() => Number(document.querySelector('#summary').dataset.sequence) > {first}", timeout=45_000
            )
            assert {"/partials/summary", "/api/v1/events/stream"} <= watch.paths(), watch.paths()
        else:
            page.wait_for_function("() => window.htmx !== undefined", timeout=15_000)
        assert {"/static/portal.css", "/static/portal.js"} <= watch.paths(), (path, watch.paths())
        watch.assert_clean()
        assert page.evaluate("() => htmx.config.allowEval") is False, path
        assert page.evaluate("() => document.querySelectorAll('style, [style], script:not([src])').length") == 0, path
        page.close()


def test_schema_page_runs_under_the_policy_and_names_no_other_origin(server, browser):  # noqa: F811
    base, _, proc, _ = server
    wait_for(base, proc, 1)
    page = browser.new_page()
    watch = Watch(page, base)
    page.goto(base + "/schema")
    assert page.locator("a[href='/schema/openapi.json']").count() == 1
    assert page.locator("tbody tr").count() > 10  # the operations, listed
    html = page.content()
    assert "https://" not in html and "http://" not in html, "the page names another origin"
    page.goto(base + "/schema/openapi.json")
    watch.assert_clean()
    page.close()


def test_each_partial_alone_runs_under_the_policy(server, browser):  # noqa: F811
    base, _, proc, _ = server
    wait_for(base, proc, 1)
    page = browser.new_page()
    watch = Watch(page, base)
    for path in sorted(PARTIALS):
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
    watch.assert_clean()
    page.close()


class BlankPage(BaseHTTPRequestHandler):
    """Another site: a blank page with no policy of its own, on another port (another origin)."""

    def do_GET(self) -> None:
        body = b"<!doctype html><title>elsewhere</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def elsewhere():
    site = ThreadingHTTPServer(("127.0.0.1", 0), BlankPage)
    thread = threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}"
    finally:
        site.shutdown()
        site.server_close()


# Each call answers what the page could read: the status, or the error when the browser refused.
FETCH = """async ([url, init]) => {
  try {
    const r = await fetch(url, init);
    await r.text();
    return {status: r.status, type: r.headers.get('content-type')};
  }
  catch (e) { return {error: String(e)}; }
}"""


def test_another_site_reads_the_public_api_and_nothing_else(server, browser, elsewhere):  # noqa: F811
    base, _, proc, _ = server
    wait_for(base, proc, 1)
    page = browser.new_page()
    page.goto(elsewhere + "/")

    def call(path: str, init: dict[str, Any] | None = None) -> dict[str, Any]:
        return page.evaluate(FETCH, [base + path, init or {}])

    assert call("/api/v1/attestations/latest") == {"status": 200, "type": "application/json"}
    # A header that is not CORS-safelisted: the browser sends a preflight first, and it passes.
    assert call("/api/v1/keys", {"headers": {"If-None-Match": '"x"'}}) == {"status": 200, "type": "application/json"}
    assert call("/api/v1/nope")["status"] == 404  # errors are readable too
    # The admin API and writes: the browser refuses to hand the answer (or to send the request).
    assert "error" in call("/admin/v1/webhooks", {"headers": {"Authorization": "Bearer x"}})
    assert "error" in call("/admin/v1/webhooks")
    json_post = {"method": "POST", "headers": {"Content-Type": "application/json"}, "body": '{"nonce": "n"}'}
    assert "error" in call("/api/v1/challenges", json_post)
    assert "error" in call("/")  # the pages are not an API
    page.close()
