"""GET /badge.svg and /feed.atom through the whole web app: content types, FRESH caching, ETag and
304, HEAD, embeddable from other sites, the status of now (stale once the attestation is old, while
the feed lists only published changes), and hostile requests answered with a 4xx or the answer."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree as ET

import pytest

from portal.conditional import FRESH
from portal.pages.badge_svg import COLOURS
from portal.ratelimit.routes import API, route_class
from tests.portal.rig_portal import RigPortal, rig_portal

A = "{http://www.w3.org/2005/Atom}"
S = "{http://www.w3.org/2000/svg}"
PATHS = {"/badge.svg": "image/svg+xml", "/feed.atom": "application/atom+xml; charset=utf-8"}


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> RigPortal:
    with rig_portal(tmp_path_factory.mktemp("badge")) as p:
        p.snapshot()
        yield p


def title(response) -> str:
    return ET.fromstring(response.content).find(S + "title").text


def entries(response) -> list[ET.Element]:
    return ET.fromstring(response.content).findall(A + "entry")


def test_before_the_first_attestation(tmp_path):
    with rig_portal(tmp_path) as p:
        assert title(p.client.get("/badge.svg")) == "RBTC reserves: n/a"
        feed = p.client.get("/feed.atom")
        assert feed.status_code == 200 and entries(feed) == []


@pytest.mark.parametrize("path", PATHS)
def test_headers_etag_304_and_head(portal, path):
    c = portal.client
    r = c.get(path)
    assert r.status_code == 200 and r.headers["content-type"] == PATHS[path]
    assert r.headers["cache-control"] == FRESH and r.headers["etag"].startswith('"')
    ET.fromstring(r.content)  # well-formed
    again = c.get(path, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == r.headers["etag"]
    assert c.get(path, headers={"If-None-Match": f'"x", W/{r.headers["etag"]}'}).status_code == 304
    assert c.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    head = c.head(path, headers={"Accept-Encoding": "identity"})
    get = c.get(path, headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == get.headers["etag"] and head.headers["content-type"] == PATHS[path]
    assert head.headers["content-length"] == str(len(get.content))


@pytest.mark.parametrize("path", PATHS)
def test_other_sites_may_embed_them_and_the_policy_still_applies(portal, path):
    r = portal.client.get(path, headers={"Origin": "https://issuer.example"})
    assert r.headers["cross-origin-resource-policy"] == "cross-origin"
    assert r.headers["access-control-allow-origin"] == "*"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    # The trailing-slash spelling routes to the same answer and gets the same headers.
    slash = portal.client.get(path + "/")
    if slash.status_code == 200:
        assert slash.headers["cross-origin-resource-policy"] == "cross-origin"
    # The pages are not embeddable: only these two are.
    page = portal.client.get("/")
    assert page.headers["cross-origin-resource-policy"] == "same-origin"
    assert "access-control-allow-origin" not in page.headers


def test_the_badge_says_the_status_of_now(portal):
    c = portal.client
    portal.snapshot(100_000)
    assert title(c.get("/badge.svg")) == "RBTC reserves: 110.00% healthy"
    portal.snapshot(107_900)
    r = c.get("/badge.svg")
    assert title(r) == "RBTC reserves: 101.94% warning"
    # What it says changed, so did its tag: a client holding the old badge gets the new one.
    portal.snapshot(100_000)
    assert c.get("/badge.svg", headers={"If-None-Match": r.headers["etag"]}).status_code == 200
    portal.snapshot(100_000, failed=True)
    assert title(c.get("/badge.svg")) == "RBTC reserves: stale"


def test_an_old_attestation_is_stale_now_and_no_entry_of_the_feed(tmp_path):
    with rig_portal(tmp_path) as p:
        old = datetime.now(timezone.utc) - timedelta(hours=2)
        env = p.snapshot(when=old)
        assert env["attestation"]["status"] == "healthy"  # signed healthy, two hours ago
        badge = p.client.get("/badge.svg")
        assert title(badge) == "RBTC reserves: stale"
        assert ET.fromstring(badge.content).find(f"{S}rect").get("fill") == COLOURS["stale"]
        summary = p.client.get("/api/v1/summary").json()
        assert summary["status"] == "stale" and summary["published_status"] == "healthy"  # as the dashboard says
        feed = entries(p.client.get("/feed.atom"))
        assert [e.find(A + "category").get("term") for e in feed] == ["healthy"]  # published: healthy
        # A new attestation makes it healthy again, at once.
        p.snapshot()
        assert title(p.client.get("/badge.svg")) == "RBTC reserves: 110.00% healthy"


def test_the_staleness_is_never_cached(portal):
    portal.snapshot(100_000)
    hot = portal.client.app.state.services.hot
    later = portal.client.blocking_portal.call(hot.dashboard, datetime.now(timezone.utc) + timedelta(hours=1))
    assert later.status == "stale" and later.published_status == "healthy"


def test_the_feed_follows_the_published_changes(tmp_path):
    with rig_portal(tmp_path) as p:
        first = p.snapshot(100_000)
        p.snapshot(100_000)
        warning = p.snapshot(107_900)
        healthy = p.snapshot(100_000)
        feed = p.client.get("/feed.atom")
        got = [(e.find(A + "title").text, e.find(f"{A}link[@rel='alternate']").get("href")) for e in entries(feed)]
        assert got == [
            ("warning \u2192 healthy: ratio 110.00%", f"/attestations/{healthy['id']}"),
            ("healthy \u2192 warning: ratio 101.94%", f"/attestations/{warning['id']}"),
            ("healthy (first attestation): ratio 110.00%", f"/attestations/{first['id']}"),
        ]
        # The related link is the API's document of the same attestation.
        related = entries(feed)[0].find(f"{A}link[@rel='related']").get("href")
        assert p.client.get(related).json()["id"] == healthy["id"]
        # An attestation that changes nothing leaves the feed's bytes (and tag) as they were.
        p.snapshot(100_000)
        again = p.client.get("/feed.atom", headers={"If-None-Match": feed.headers["etag"]})
        assert again.status_code == 304


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "query, status",
    [
        ("", 200),
        ("v=2", 200),  # a cache buster: ignored, as every page ignores what it does not read
        ("style=flat&label=x", 200),
        ("%00=%ff&%3Cscript%3E=1", 200),
        ("v=1&v=2", 400),  # repeated: refused before routing (portal.limits)
        ("x=" + "a" * 5000, 400),  # over max_query_bytes
    ],
)
def test_query_strings(portal, path, query, status):
    r = portal.client.get(f"{path}?{query}" if query else path)
    assert r.status_code == status, r.text
    if status == 200:
        assert r.content == portal.client.get(path).content or path == "/badge.svg"
        ET.fromstring(r.content)
    else:
        assert r.json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "application/json"},
        {"Accept": "text/html;q=0, */*;q=0"},
        {"Accept": "\x7f\x01garbage;;;q=x"},
        {"Accept-Encoding": "gzip;q=abc, br"},
        {"If-None-Match": "x" * 10_000},
        {"If-None-Match": ",,,*"},  # `*` matches any current answer
    ],
)
def test_odd_headers_get_the_answer_or_a_304(portal, path, headers):
    r = portal.client.get(path, headers=headers)
    assert r.status_code in (200, 304), r.text
    if r.status_code == 200:
        assert r.headers["content-type"] == PATHS[path]
        ET.fromstring(r.content)


@pytest.mark.parametrize("path", PATHS)
def test_other_methods_and_paths(portal, path):
    c = portal.client
    assert c.post(path, json={}).status_code == 405
    assert c.delete(path).status_code == 405
    assert c.get("/x/" + path).status_code == 400  # an empty segment: refused before routing
    assert c.get(path + "x").status_code == 404


def test_rate_limit_class_and_the_one_second_cache(portal):
    # Cheap answers (memory, one bounded indexed read): the `api` budget, as the other cheap GETs.
    assert route_class("GET", "/badge.svg") == route_class("GET", "/feed.atom") == API
    cache = portal.client.app.state.microcache
    cache.clear()
    portal.client.get("/feed.atom")
    assert any(key[0] == "/feed.atom" for key in cache._entries)  # a crowd of readers costs one read a second
