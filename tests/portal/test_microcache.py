"""The one-second cache of public answers (portal.microcache): shared only when safe, one computation
per URL under a crowd, bounded, and never older than its time to live."""

from __future__ import annotations

import asyncio

import pytest

from portal.microcache import MicroCache, page_query
from reserves.snapshot.take import take_snapshot
from tests.portal.conftest import snapshot
from tests.portal.test_hot import wait_for


class Origin:
    """A test ASGI app: counts the requests that reach it and answers what `answer` says."""

    def __init__(self, headers=((b"content-type", b"application/json"),), status=200, body=b'{"n": 1}', delay=0.0):
        self.calls, self.headers, self.status, self.body, self.delay = 0, list(headers), status, body, delay

    async def __call__(self, scope, receive, send):
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


async def get(app, path="/api/v1/keys", query=b"", headers=()):
    scope = {"type": "http", "method": "GET", "path": path, "query_string": query, "headers": list(headers)}
    out = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        out.append(message)

    await app(scope, receive, send)
    return out[0]["status"], dict(out[0]["headers"]), b"".join(m.get("body", b"") for m in out[1:])


def run(coro):
    return asyncio.run(coro)


def test_one_computation_per_url_and_ttl():
    origin = Origin()
    cache = MicroCache(origin, ttl_seconds=0.2)

    async def go():
        for _ in range(5):
            assert (await get(cache))[0] == 200
        assert origin.calls == 1
        await get(cache, query=b"a=1")
        await get(cache, headers=[(b"accept-encoding", b"gzip")])
        assert origin.calls == 3  # the query string and gzip are part of the key
        await asyncio.sleep(0.3)
        await get(cache)
        assert origin.calls == 4  # expired: computed again

    run(go())


def test_a_crowd_of_misses_computes_once():
    origin = Origin(delay=0.05)
    cache = MicroCache(origin)

    async def go():
        answers = await asyncio.gather(*(get(cache) for _ in range(50)))
        assert {a[0] for a in answers} == {200} and origin.calls == 1

    run(go())


@pytest.mark.parametrize(
    "case",
    [
        {"headers": [(b"cache-control", b"no-store")]},
        {"headers": [(b"cache-control", b"private, max-age=5")]},
        {"headers": [(b"set-cookie", b"a=b")]},
        {"headers": [(b"vary", b"Authorization")]},
        {"status": 404},
        {"status": 503},
        {"request": [(b"authorization", b"Bearer x")]},
        {"request": [(b"cookie", b"a=b")]},
        {"path": "/admin/v1/challenges"},
        {"path": "/api/v1/events/stream"},
        {"body": b"x" * 2000, "max_body": 1000},
    ],
)
def test_only_what_is_safe_to_share_is_kept(case):
    origin = Origin(
        headers=case.get("headers", [(b"content-type", b"application/json")]), status=case.get("status", 200)
    )
    if "body" in case:
        origin.body = case["body"]
    cache = MicroCache(origin, max_body=case.get("max_body", 1024 * 1024))

    async def go():
        for _ in range(3):
            await get(cache, path=case.get("path", "/api/v1/keys"), headers=case.get("request", ()))
        assert origin.calls == 3

    run(go())


def test_bounded_in_bytes_least_recently_used_out():
    origin = Origin(body=b"x" * 1000)
    cache = MicroCache(origin, max_bytes=3500)

    async def go():
        for i in range(20):
            await get(cache, query=f"i={i}".encode())
        assert cache._bytes <= 3500 and len(cache._entries) == 3

    run(go())


def test_a_cached_etag_answers_304():
    origin = Origin(headers=[(b"etag", b'"v1"'), (b"cache-control", b"public, max-age=5")])
    cache = MicroCache(origin)

    async def go():
        await get(cache)
        status, headers, body = await get(cache, headers=[(b"if-none-match", b'"v1"')])
        assert (status, body, headers[b"etag"]) == (304, b"", b'"v1"') and origin.calls == 1

    run(go())


def test_through_the_app_gzip_and_freshness(client):
    snapshot(client)
    plain = client.get("/api/v1/wallets", headers={"Accept-Encoding": "identity"})
    zipped = client.get("/api/v1/wallets", headers={"Accept-Encoding": "gzip"})
    assert plain.headers.get("content-encoding") is None and zipped.json() == plain.json()
    assert zipped.headers.get("content-encoding") == "gzip"  # a cached identity answer is not served for gzip
    again = client.get("/api/v1/wallets", headers={"Accept-Encoding": "identity"})
    assert again.headers.get("content-encoding") is None and again.content == plain.content
    rt = client.world
    rt.tick()
    env = rt.call(take_snapshot, rt.worker.context)  # nothing tells the web app
    wait_for(lambda: client.get("/api/v1/wallets").json().get("attestation_id") == env["id"], seconds=10)


def test_several_accept_encoding_headers_are_never_shared():
    origin = Origin()
    cache = MicroCache(origin)
    two = [(b"accept-encoding", b"gzip"), (b"accept-encoding", b"identity")]

    async def go():
        for _ in range(3):
            await get(cache, headers=two)
        assert origin.calls == 3
        await get(cache)
        await get(cache)
        assert origin.calls == 4  # the plain request is cached on its own

    run(go())


def test_only_a_write_that_succeeded_empties_the_cache():
    origin = Origin()
    cache = MicroCache(origin)

    async def post(status):
        writer = Origin(status=status)
        cache.app = writer
        scope = {"type": "http", "method": "POST", "path": "/api/v1/challenges", "query_string": b"", "headers": []}

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            pass

        await cache(scope, receive, send)
        cache.app = origin

    async def go():
        await get(cache)
        for status in (404, 400, 429, 405):
            await post(status)  # refused writes (or OPTIONS /nowhere) keep what is cached
            await get(cache)
        assert origin.calls == 1
        await post(201)
        await get(cache)
        assert origin.calls == 2

    run(go())


@pytest.mark.parametrize(
    ("value", "gzip"),
    [
        ("gzip", True),
        ("gzip;q=0.5, identity", True),
        ("*", True),
        ("*;q=1, gzip;q=0", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("identity", False),
        ("", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_the_hot_paths_read_accept_encoding_as_rfc_9110_says(value, gzip):
    from portal.conditional import accepts_gzip

    assert accepts_gzip(value) is gzip


def test_every_kept_answer_has_an_etag_and_answers_304_computed_or_replayed():
    origin = Origin(body=b'{"keys": []}')
    cache = MicroCache(origin)

    async def go():
        status, headers, body = await get(cache)
        etag = headers[b"etag"]
        assert status == 200 and body == b'{"keys": []}' and etag.startswith(b'"')
        # From the cache, and on a miss after expiry: the same tag, and 304 when the client has it.
        assert (await get(cache, headers=[(b"if-none-match", etag)]))[:3:2] == (304, b"")
        cache.clear()
        status, headers, body = await get(cache, headers=[(b"if-none-match", etag)])
        assert (status, body, headers[b"etag"]) == (304, b"", etag) and origin.calls == 2
        origin.body = b'{"keys": [1]}'
        cache.clear()
        status, headers, body = await get(cache, headers=[(b"if-none-match", etag)])
        assert status == 200 and headers[b"etag"] != etag  # changed bytes, a new tag

    run(go())


def test_through_the_app_public_reads_revalidate(client):
    snapshot(client)
    for path in ("/api/v1/keys", "/api/v1/supply", "/api/v1/wallets", "/proofs"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["etag"], path
        again = client.get(path, headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304 and again.content == b"", path


def test_a_client_refusing_gzip_never_shares_a_gzip_body(client):
    """`gzip;q=0` refuses gzip; whatever the app answers it, plain clients never get a gzip body."""
    client.app.state.microcache.clear()
    path = "/api/v1/keys"
    client.get(path, headers={"Accept-Encoding": "gzip;q=0"})
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_unknown_parameters_on_a_page_do_not_bust_the_cache(client):
    assert page_query("/reserves", b"x=1&y=2") == b""
    assert page_query("/history", b"range=day&b=9&series=ratio") == b"range=day&series=ratio"
    assert page_query("/attestations", b"before=5&z=1") == b"before=5"
    assert page_query("/prices", b"x=1&range=week") == b"range=week"
    services = client.app.state.services
    calls = []
    real = services.reserves.utxos

    async def counted():
        calls.append(1)
        return await real()

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(services.reserves, "utxos", counted)
        client.app.state.microcache.clear()
        for i in range(10):
            client.get("/reserves", params={"bust": str(i)})
    assert len(calls) <= 2  # once, or twice when a second turned
