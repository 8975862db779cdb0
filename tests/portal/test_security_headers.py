"""Security headers on every answer and CORS on the public read-only API only, over real HTTP
(`create_app` under uvicorn on a free port): pages, partials, errors, 404s, static files, the event
stream, the admin API and its refusals, and the preflights a browser on another site sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from portal.app import TEMPLATES, create_app
from portal.worker_app import create_worker_app
from reserves.settings.load import default_settings
from reserves.settings.model import AdminSettings
from reserves.worker.worker import Worker
from tests.support import serving

TOKEN = "security-headers-test-token"
ELSEWHERE = "https://holder-tool.example"


@contextmanager
def serve(data_dir: Path, **portal: object) -> Iterator[str]:
    """The web role without the devnet (no chain: nothing here needs one), under uvicorn in a thread."""
    s = default_settings(data_dir)
    settings = replace(
        s,
        devnet=replace(s.devnet, enabled=False),
        portal=replace(s.portal, **portal),
        admin=AdminSettings(token=TOKEN),
    )
    with serving(create_app(settings), "headers-test-server") as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Iterator[str]:
    with serve(tmp_path_factory.mktemp("headers")) as url:
        yield url


def csp(response: httpx.Response) -> dict[str, list[str]]:
    """The Content-Security-Policy as {directive: [sources]}."""
    policy = response.headers.get("content-security-policy")
    assert policy, f"no CSP on {response.request.method} {response.request.url} ({response.status_code})"
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_secured(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    d = csp(response)
    assert d["default-src"] == ["'self'"], where
    assert d["script-src"] == ["'self'"] and d["style-src"] == ["'self'"], where  # no inline, no eval
    assert d["connect-src"] == ["'self'"] and d["img-src"] == ["'self'"], where
    assert d["frame-ancestors"] == ["'none'"] and d["base-uri"] == ["'none'"] and d["object-src"] == ["'none'"], where
    assert d["form-action"] == ["'self'"], where
    assert not any("unsafe" in s or "*" in s or ":" in s for sources in d.values() for s in sources), (where, d)
    h = response.headers
    assert h["x-content-type-options"] == "nosniff", where
    assert h["referrer-policy"] == "no-referrer", where
    assert h["cross-origin-opener-policy"] == "same-origin", where
    assert h["x-frame-options"] == "DENY", where
    denied = dict(p.strip().split("=", 1) for p in h["permissions-policy"].split(","))
    assert {"camera", "microphone", "geolocation", "payment", "usb"} <= denied.keys(), where
    assert set(denied.values()) == {"()"}, where
    assert "strict-transport-security" not in h, where  # not configured as served over TLS
    assert len(h.get_list("content-security-policy")) == 1, where


def assert_no_cors(response: httpx.Response) -> None:
    cors = {k: v for k, v in response.headers.items() if k.startswith("access-control-")}
    assert cors == {}, (response.request.method, response.request.url.path, cors)


def test_every_kind_of_answer_carries_the_security_headers(base):
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=base, timeout=10) as c:
        answers = [
            c.get("/"),
            c.get("/partials/summary"),
            c.get("/proofs"),
            c.get("/static/portal.css"),
            c.get("/static/htmx-2.0.11.min.js"),
            c.get("/static/%00"),  # the file system's refusal, a 404
            c.get("/static/nope.js"),
            c.get("/favicon.ico"),
            c.get("/no/such/page"),  # no route at all: answered by the router, not a handler
            c.delete("/api/v1/keys"),  # 405
            c.get("/api/v1/keys"),
            c.get("/api/v1/attestations/latest"),  # 404: nothing attested yet
            c.get("/api/v1/attestations", params={"limit": "x"}),  # 400
            c.post("/api/v1/challenges", content=b"{", headers={"Content-Type": "application/json"}),
            c.get("/healthz"),
            c.get("/schema"),
            c.get("/schema/openapi.json"),
            c.get("/admin/v1/webhooks"),  # 401
            c.get("/admin/v1/webhooks", headers=bearer),
        ]
        with c.stream("GET", "/api/v1/events/stream") as stream:
            answers.append(stream)
    statuses = [(r.request.method, r.request.url.path, r.status_code) for r in answers]
    assert {200, 400, 401, 404, 405} <= {code for *_, code in statuses}, statuses
    assert ("GET", "/favicon.ico", 200) in statuses and ("GET", "/api/v1/events/stream", 200) in statuses
    for response in answers:
        assert_secured(response)


def test_public_reads_are_readable_from_any_origin(base):
    with httpx.Client(base_url=base, timeout=10, headers={"Origin": ELSEWHERE}) as c:
        reads = [c.get("/api/v1/keys"), c.head("/api/v1/keys"), c.get("/api/v1/attestations/latest")]
        with c.stream("GET", "/api/v1/events/stream") as stream:
            reads.append(stream)
    for r in reads:
        where = (r.request.method, r.request.url.path, r.status_code)
        assert r.headers["access-control-allow-origin"] == "*", where
        assert "access-control-allow-credentials" not in r.headers, where
        exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
        assert {"etag", "ratelimit", "ratelimit-policy", "retry-after", "link"} <= exposed, where
        # Public data: readable by no-cors loads too; everything else is same-origin only.
        assert r.headers["cross-origin-resource-policy"] == "cross-origin", where
        assert_secured(r)


def test_a_preflight_for_a_read_is_answered(base):
    r = httpx.options(
        f"{base}/api/v1/attestations/latest",
        headers={
            "Origin": ELSEWHERE,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert r.status_code == 204 and r.content == b""
    assert r.headers["access-control-allow-origin"] == "*"
    assert {m.strip() for m in r.headers["access-control-allow-methods"].split(",")} == {"GET", "HEAD"}
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert {"if-none-match", "last-event-id"} <= allowed
    assert int(r.headers["access-control-max-age"]) > 0
    assert_secured(r)


def test_writes_and_the_admin_api_never_get_cors(base):
    bearer = {"Authorization": f"Bearer {TOKEN}", "Origin": ELSEWHERE}
    with httpx.Client(base_url=base, timeout=10) as c:
        answers = [
            # A preflight for the write: refused by its silence (no Access-Control-Allow-Origin).
            c.options(
                "/api/v1/challenges",
                headers={
                    "Origin": ELSEWHERE,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type",
                },
            ),
            c.post("/api/v1/challenges", json={"nonce": "from elsewhere"}, headers={"Origin": ELSEWHERE}),
            c.get("/admin/v1/webhooks", headers=bearer),
            c.get("/admin/v1/webhooks", headers={"Origin": ELSEWHERE}),
            c.options("/admin/v1/webhooks", headers={"Origin": ELSEWHERE, "Access-Control-Request-Method": "GET"}),
            c.get("/", headers={"Origin": ELSEWHERE}),
            c.get("/partials/summary", headers={"Origin": ELSEWHERE}),
        ]
    assert answers[2].status_code == 200  # the admin answer exists; another site just cannot read it
    for r in answers:
        assert_no_cors(r)
        assert r.headers["cross-origin-resource-policy"] == "same-origin"
        assert_secured(r)


def test_hsts_only_when_configured_as_served_over_tls(tmp_path):
    with serve(tmp_path, hsts=True) as url:
        for r in (httpx.get(f"{url}/"), httpx.get(f"{url}/api/v1/keys"), httpx.get(f"{url}/nope")):
            assert r.headers["strict-transport-security"] == "max-age=31536000"


def test_the_worker_app_answers_with_the_headers_and_no_cors(tmp_path):
    with TestClient(create_worker_app(Worker(default_settings(tmp_path)))) as c:
        for r in (c.get("/nope"), c.get("/schema"), c.get("/admin/v1/reserves/at/1", headers={"Origin": ELSEWHERE})):
            assert r.headers["content-security-policy"].startswith("default-src 'self'")
            assert r.headers["x-content-type-options"] == "nosniff"
            assert not any(k.startswith("access-control-") for k in r.headers)


def test_schema_serves_no_third_party_ui(base):
    page = httpx.get(f"{base}/schema")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script" not in page.text and "style=" not in page.text and "<style" not in page.text
    assert "://" not in page.text  # no other origin named
    assert 'href="/schema/openapi.json"' in page.text
    document = httpx.get(f"{base}/schema/openapi.json")
    assert document.status_code == 200 and document.json()["openapi"].startswith("3.")
    for ui in ("/schema/redoc", "/schema/swagger", "/schema/elements", "/schema/rapidoc"):
        assert httpx.get(f"{base}{ui}").status_code == 404, ui


class InlineCode(HTMLParser):
    """What a strict CSP refuses in markup: inline script, style blocks and attributes, event handlers,
    and the htmx attributes that need eval (`hx-on`, `hx-vars`, `js:` values)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            script_value = (value or "").strip().lower().startswith(("js:", "javascript:"))
            if name in {"style", "hx-vars"} or name.startswith(("on", "hx-on", "data-hx-on")) or script_value:
                self.found.append(f"<{tag} {name}>")


# Pages live in templates/pages/: every template, at any depth.
@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_templates_hold_no_inline_code(template):
    parser = InlineCode()
    parser.feed((TEMPLATES / template).read_text())
    assert parser.found == [], parser.found


def test_head_then_get_on_one_connection(base):
    # uvicorn reads the method from its own scope: a HEAD routed as GET must not change it there, or
    # uvicorn waits for GET's body and resets the kept-alive connection (seen with portal.head).
    with httpx.Client(base_url=base, timeout=10) as c:
        for _ in range(3):
            head, get = c.head("/api/v1/keys"), c.get("/api/v1/keys")
            assert head.status_code == get.status_code == 200 and head.content == b""
            assert head.headers["content-length"] == get.headers["content-length"] != "0"
