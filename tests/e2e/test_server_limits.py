"""Hostile requests against the real server (`reserves run`: devnet, worker, web under uvicorn) over real
sockets: deep JSON, wrong media types, duplicate keys, non-integers, repeated parameters, long URLs,
huge and trickled headers, too many connections, a NUL in a static path. Each a clear 4xx (or a
closed connection), never a 500, never a traceback in the log."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.running_portal import ADMIN_TOKEN, running_portal

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
HEAD_TIMEOUT = 2.0
MAX_CONNECTIONS = 16


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    limits = f"header_timeout_seconds = {HEAD_TIMEOUT}\nmax_connections = {MAX_CONNECTIONS}\nstream_max_clients = 4"
    with running_portal(tmp_path_factory.mktemp("limits"), limits) as p:
        yield p.base, p.port, p.log_path


def raw(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send `data` on a fresh connection and read until the server closes it (or `timeout`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
                if b"\r\n\r\n" in out and _complete(out):
                    break
        except (ConnectionResetError, TimeoutError):
            pass
    return out


def _complete(response: bytes) -> bool:
    head, _, body = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def assert_error(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.json()["error"]["code"] == code, r.text[:500]


def nested(depth: int) -> bytes:
    return b'{"nonce": ' + b"[" * depth + b"]" * depth + b"}"


BODY_ROUTES = [
    ("/api/v1/challenges", {}),
    ("/admin/v1/challenges", AUTH),
    ("/admin/v1/proofs", AUTH),
    ("/admin/v1/webhooks/", AUTH),
    ("/admin/v1/reconciliation/links", AUTH),
    ("/api/v1/attestations/" + "0" * 64 + "/signatures", {}),
]


@pytest.mark.parametrize("depth", [5_000, 10_000, 20_000])
@pytest.mark.parametrize(("path", "headers"), BODY_ROUTES, ids=[p for p, _ in BODY_ROUTES])
def test_a_deeply_nested_body_is_a_400_before_decoding(portal, path, headers, depth):
    base, _, log_path = portal
    before = log_path.read_text()
    r = httpx.post(base + path, content=nested(depth), headers={**headers, "Content-Type": "application/json"})
    assert_error(r, 400, "invalid_input")
    assert "nested deeper" in r.json()["error"]["detail"]
    # Refused by the scan, not by a decoder hitting its recursion limit (which main logged once each).
    new = log_path.read_text()[len(before) :]
    assert "Traceback" not in new and "recursion" not in new, new[-2000:]


@pytest.mark.parametrize(("depth", "refused"), [(64, False), (65, True)])
def test_the_depth_limit_is_64_levels(portal, depth, refused):
    # The object itself is a level: {"nonce": .., "extra": [[...]]} with depth - 1 arrays.
    base, _, _ = portal
    body = b'{"nonce": "depth-test", "extra": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
    r = httpx.post(f"{base}/admin/v1/challenges", content=body, headers={**AUTH, "Content-Type": "application/json"})
    if refused:
        assert_error(r, 400, "invalid_input")
    else:
        assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"],
)
def test_a_body_must_be_sent_as_json(portal, content_type):
    # text/plain, form and multipart are what another site can post without a CORS preflight.
    base, _, _ = portal
    headers = {"Content-Type": content_type} if content_type else {}
    r = httpx.post(f"{base}/api/v1/challenges", content=b'{"nonce": "abc"}', headers=headers)
    assert_error(r, 415, "unsupported_media_type")
    r = httpx.post(f"{base}/admin/v1/challenges", content=b"{}", headers={**AUTH, **headers})
    assert_error(r, 415, "unsupported_media_type")


def test_json_with_a_utf8_charset_is_accepted(portal):
    base, _, _ = portal
    for ct in ("application/json; charset=utf-8", "Application/JSON;charset=UTF-8"):
        r = httpx.post(f"{base}/admin/v1/challenges", content=b"{}", headers={**AUTH, "Content-Type": ct})
        assert r.status_code == 201, (ct, r.text)


def test_duplicate_keys_and_non_integers_are_a_400(portal):
    base, _, _ = portal
    json_headers = {**AUTH, "Content-Type": "application/json"}
    r = httpx.post(f"{base}/api/v1/challenges", content=b'{"nonce": "a", "nonce": "b"}', headers=json_headers)
    assert_error(r, 400, "invalid_input")
    assert "duplicate key" in r.json()["error"]["detail"]
    for number in (b"2.0", b"1e2", b"5000.0", b"NaN"):
        body = b'{"url": "https://example.com/h", "events": ["ratio.below"], "threshold_bp": ' + number + b"}"
        r = httpx.post(f"{base}/admin/v1/webhooks/", content=body, headers=json_headers)
        assert_error(r, 400, "invalid_input")


def test_a_repeated_query_parameter_is_a_400(portal):
    base, _, _ = portal
    for query in ("limit=1&limit=2", "limit=1&lim%69t=2", "cursor=&cursor="):
        r = httpx.get(f"{base}/api/v1/attestations?{query}")
        assert_error(r, 400, "invalid_input")
    assert httpx.get(f"{base}/api/v1/attestations?limit=1").status_code == 200


def test_long_query_strings_are_a_400_and_long_paths_a_414(portal):
    base, _, _ = portal
    assert_error(httpx.get(f"{base}/api/v1/attestations?cursor={'a' * 4096}"), 400, "invalid_input")
    assert_error(httpx.get(f"{base}/api/v1/attestations/{'a' * 3000}"), 414, "uri_too_long")


def test_100_kb_of_headers_is_a_431(portal):
    _, port, _ = portal
    many = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"v" * 1000) for i in range(100))
    out = raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert status_of(out) == 431, out[:200]
    one_huge = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 100_000 + b"\r\n\r\n"
    assert status_of(raw(port, one_huge)) == 431
    too_many = b"".join(b"X-%d: 1\r\n" % i for i in range(300))
    assert status_of(raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + too_many + b"\r\n")) == 431


def test_a_trickled_head_is_cut(portal):
    _, port, _ = portal
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        # A header line every 0.25 s: each one is progress, so only a head timeout can end it. The
        # loop's bound (10 times the limit) is only a liveness bound.
        closed = False
        for i in range(int(HEAD_TIMEOUT * 10 / 0.25)):
            try:
                s.sendall(b"X-Slow-%d: 1\r\n" % i)
                s.settimeout(0.25)
                if s.recv(1024) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
        assert closed, "the server kept a trickling head open"


def test_keep_alive_requests_are_not_cut(portal):
    _, port, _ = portal
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        for _ in range(3):
            s.sendall(b"GET /api/v1/keys HTTP/1.1\r\nHost: x\r\n\r\n")
            out = b""
            while not (b"\r\n\r\n" in out and _complete(out)):
                out += s.recv(65536)
            assert status_of(out) == 200


def test_connections_beyond_the_limit_get_a_503(portal):
    base, port, _ = portal
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(MAX_CONNECTIONS)]
    try:
        out = raw(port, b"GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert status_of(out) == 503, out[:200]
    finally:
        for s in idle:
            s.close()
    # The idle ones are gone: the server answers again.
    deadline = time.monotonic() + 30
    while httpx.get(f"{base}/api/v1/keys").status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert httpx.get(f"{base}/api/v1/keys").status_code == 200


def test_a_nul_in_a_static_path_is_a_404(portal):
    _, port, _ = portal
    out = raw(port, b"GET /static/%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(out) == 404, out[:300]
    out = raw(port, b"GET /static/a%00b.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(out) == 404, out[:300]


def test_the_server_logged_no_traceback(portal):
    _, _, log_path = portal
    text = log_path.read_text()
    assert "Traceback" not in text, text[-3000:]
