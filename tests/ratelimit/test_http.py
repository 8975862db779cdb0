"""The limits as a client meets them: the real web role under uvicorn, over HTTP."""

from __future__ import annotations

import ipaddress

from portal.api.stream import STREAM_PATH
from reserves.settings.model import AdminSettings
from reserves.settings.ratelimit import Budget
from tests.ratelimit.conftest import limited_server
from tests.stream.conftest import sse
from tests.stream.test_stream_http import connected

HISTORY = "/api/v1/history"
LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)
TOKEN = "t" * 40


def _error(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert set(r.json()) == {"error"} and r.json()["error"]["code"] == code, r.text


async def test_every_route_class_answers_with_its_own_ratelimit_fields(tmp_path):
    with limited_server(tmp_path) as server:
        async with server.client() as c:
            expected = {
                "/api/v1/attestations/latest": '"api";q=1200;w=60',
                "/healthz": '"api";q=1200;w=60',
                "/no/such/route": '"api";q=1200;w=60',  # a 404 is counted too
                "/static/portal.css": '"static";q=1200;w=60',
                "/": '"pages";q=300;w=60',
                "/partials/summary": '"pages";q=300;w=60',
                HISTORY: '"expensive";q=60;w=60',
                "/api/v1/history/": '"expensive";q=60;w=60',  # no way around by a trailing slash
                "/api/v1/attestations": '"expensive";q=60;w=60',
                "/api/v1/attestations/pending": '"expensive";q=60;w=60',
                "/api/v1/evidence/" + "ab" * 32 + "/0": '"expensive";q=60;w=60',
                "/admin/v1/challenges/x": '"admin";q=300;w=60',
            }
            for path, policy in expected.items():
                r = await c.get(path)
                assert r.headers["ratelimit-policy"] == policy, (path, r.status_code)
                name = policy.split(";")[0]
                assert r.headers["ratelimit"].startswith(f"{name};r="), (path, r.headers["ratelimit"])
            posted = await c.post("/api/v1/attestations/" + "ab" * 32 + "/signatures", json={})
            assert posted.headers["ratelimit-policy"] == '"signatures";q=30;w=60'


async def test_past_its_budget_a_client_gets_429_with_retry_after_and_the_error_shape(tmp_path):
    with limited_server(tmp_path, expensive=Budget(3, 60)) as server:
        async with server.client() as c:
            ok = [await c.get(HISTORY) for _ in range(3)]
            assert [r.headers["ratelimit"] for r in ok] == [
                '"expensive";r=2;t=20',
                '"expensive";r=1;t=40',
                '"expensive";r=0;t=60',
            ]
            over = await c.get(HISTORY)
            _error(over, 429, "rate_limited")
            assert over.headers["retry-after"] == "20"
            assert over.headers["ratelimit"] == '"expensive";r=0;t=20'
            assert over.headers["ratelimit-policy"] == '"expensive";q=3;w=60'
            assert "retry in 20 s" in over.json()["error"]["detail"]
            head = await c.head(HISTORY)
            assert head.status_code == 429 and head.content == b""
            # Another class keeps its own budget.
            assert (await c.get("/api/v1/keys")).status_code == 200


async def test_by_default_x_forwarded_for_is_ignored_and_cannot_escape_a_limit(tmp_path):
    # The security review: with forwarded_allow_ips = "*", 8 of 8 requests naming other clients passed.
    with limited_server(tmp_path, expensive=Budget(6, 60)) as server:
        async with server.client() as c:
            codes = [
                (await c.get(HISTORY, headers={"X-Forwarded-For": f"198.51.100.{i}"})).status_code for i in range(8)
            ]
            assert codes == [200] * 6 + [429] * 2


async def test_behind_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client(tmp_path):
    proxies = (*LOOPBACK, ipaddress.ip_network("10.0.0.0/8"))
    with limited_server(tmp_path, trusted_proxies=proxies, expensive=Budget(2, 60)) as server:
        async with server.client() as c:

            async def get(forwarded: str) -> int:
                return (await c.get(HISTORY, headers={"X-Forwarded-For": forwarded})).status_code

            # The client 198.51.100.1 behind two of our proxies; whatever it wrote on the left is ignored.
            assert await get("203.0.113.1, 198.51.100.1, 10.1.2.3") == 200
            assert await get("203.0.113.2, 198.51.100.1") == 200
            assert await get("198.51.100.1") == 429
            assert await get("spoofed, 198.51.100.1, 10.9.9.9") == 429
            # Other clients have their own budgets; an IPv6 client is its /64.
            assert await get("198.51.100.2") == 200
            assert [await get(f"2001:db8:1:2::{i}") for i in (1, 2, 3)] == [200, 200, 429]
            assert await get("[2001:db8:1:3::1]:4711") == 200
            # Without the header, or naming only proxies, the proxy itself is the client.
            assert [(await c.get(HISTORY)).status_code for _ in range(3)] == [200, 200, 429]
            assert await get("10.1.1.1") == 429


async def test_the_stream_cap_counts_the_same_client_as_the_limiter(tmp_path):
    with limited_server(tmp_path, trusted_proxies=LOOPBACK) as server:
        server.hub.max_per_client = 1
        async with server.client() as c:
            one = {"X-Forwarded-For": "2001:db8:7::1"}
            async with c.stream("GET", STREAM_PATH, headers=one) as a:
                reader = sse(a)
                await connected(reader)
                same_64 = await c.get(STREAM_PATH, headers={"X-Forwarded-For": "spoof, 2001:db8:7::2"})
                _error(same_64, 429, "too_many_client_streams")
                async with c.stream("GET", STREAM_PATH, headers={"X-Forwarded-For": "198.51.100.7"}) as b:
                    assert b.status_code == 200


async def test_guardian_signature_posts_are_limited_before_their_body_is_read(tmp_path):
    with limited_server(tmp_path, signatures=Budget(2, 60)) as server:
        async with server.client() as c:
            path = "/api/v1/attestations/" + "ab" * 32 + "/signatures"
            body = {"pubkey": "cd" * 32, "sig": "ef" * 64}
            codes = [(await c.post(path, json=body)).status_code for _ in range(3)]
            assert codes[:2] != [429, 429] and codes[2] == 429
            # Verification (database reads, a Schnorr check) is the cost: every attempt spends.


async def test_failed_admin_logins_lock_the_client_out_of_the_admin_api(tmp_path):
    changes = {"admin": AdminSettings(token=TOKEN)}
    with limited_server(tmp_path, changes, admin_failures=Budget(3, 60)) as server:
        async with server.client() as c:
            good = {"Authorization": f"Bearer {TOKEN}"}
            path = "/admin/v1/challenges/" + "0" * 32
            for _ in range(5):  # successes spend nothing of the failure budget
                assert (await c.get(path, headers=good)).status_code != 401
            wrong = {"Authorization": "Bearer guess"}
            assert [(await c.get(path, headers=wrong)).status_code for _ in range(3)] == [401] * 3
            locked = await c.get(path, headers=good)  # even the right token, until a failure is earned back
            _error(locked, 429, "rate_limited")
            assert locked.headers["retry-after"] == "20" and "failed admin logins" in locked.text
            assert (await c.get("/api/v1/keys")).status_code == 200  # the public API is not affected


async def test_disabled_means_no_limit_and_no_fields(tmp_path):
    with limited_server(tmp_path, enabled=False, expensive=Budget(1, 60)) as server:
        async with server.client() as c:
            got = [await c.get(HISTORY) for _ in range(3)]
            assert [r.status_code for r in got] == [200] * 3 and "ratelimit" not in got[0].headers
