"""The guarded webhook client against a real local HTTP(S) server: what it refuses, what it connects to.

Nothing here leaves the machine. Where a connection must succeed, a resolver double answers
127.0.0.1 and the client allows private addresses; where a public address must pass the check,
a network double (`LoopbackNetwork`, named as such) carries the connection to this machine.
"""

from __future__ import annotations

import asyncio
import datetime
import ssl
import threading
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reserves.webhooks.transport import GuardedTransport, TargetBlocked, read_limited, safe_client

PUBLIC = "93.184.216.34"
BIG = 4 * 1024 * 1024


# -- a real local server ---------------------------------------------------------------------------


@dataclass
class Seen:
    path: str
    host: str | None
    sni: str | None = None


@dataclass
class LocalServer:
    """ThreadingHTTPServer on 127.0.0.1; HTTP/1.0, so every request has its own connection."""

    tls: ssl.SSLContext | None = None
    seen: list[Seen] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append(Seen(self.path, self.headers.get("host")))
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("location", f"http://127.0.0.1:{outer.port}/private")
                    self.send_header("content-length", "0")
                    self.end_headers()
                elif self.path == "/big":
                    self.send_response(200)
                    self.send_header("content-length", str(BIG))
                    self.end_headers()
                    chunk = b"x" * 65536
                    try:
                        for _ in range(BIG // len(chunk)):
                            self.wfile.write(chunk)
                    except OSError:
                        pass  # the client stopped reading, as it should
                else:
                    self.send_response(200)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")

            do_POST = do_GET

            def log_message(self, format: str, *args: typing.Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if self.tls is not None:

            def record_sni(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
                self.sni.append(name)

            self.tls.sni_callback = record_sni
            self.httpd.socket = self.tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def local_http() -> Iterator[LocalServer]:
    server = LocalServer()
    yield server
    server.close()


# -- doubles -----------------------------------------------------------------------------------------


class FixedResolver:
    """Resolver double: answers from a script, one answer list per call (the last one repeats)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, int]] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


class LoopbackNetwork(httpcore.AsyncNetworkBackend):
    """Network double: records every address it is asked to connect to; connects `PUBLIC` and
    127.0.0.1 to this machine's loopback and refuses anything else without sending a packet."""

    def __init__(self) -> None:
        self.real = httpcore.AnyIOBackend()
        self.connected: list[str] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append(host)
        if host not in (PUBLIC, "127.0.0.1"):
            raise httpcore.ConnectError(f"test network: {host} unreachable")
        return await self.real.connect_tcp("127.0.0.1", port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await self.real.sleep(seconds)


def guarded(
    *, allow_private: bool, resolver: FixedResolver, network: LoopbackNetwork, timeout: float = 5.0
) -> httpx.AsyncClient:
    """A client shaped as safe_client builds it, over the network double."""
    transport = GuardedTransport(allow_private=allow_private, resolver=resolver, inner=network)
    return httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False, timeout=timeout)


# -- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("127.0.0.1", "refused 127.0.0.1: loopback"),
        ("[::1]", "refused ::1: loopback"),
        ("[::ffff:127.0.0.1]", "refused ::ffff:127.0.0.1: ipv4-mapped 127.0.0.1: loopback"),
        ("169.254.169.254", "refused 169.254.169.254: metadata"),
    ],
)
async def test_literal_private_addresses_are_refused_before_connecting(local_http, host, message):
    resolver = FixedResolver(["127.0.0.1"])
    async with safe_client(allow_private=False, timeout=5, resolver=resolver) as client:
        with pytest.raises(TargetBlocked) as caught:
            await client.get(f"http://{host}:{local_http.port}/hook")
    assert str(caught.value) == message
    assert isinstance(caught.value, httpx.ConnectError)
    assert caught.value.request.url.path == "/hook"
    assert resolver.calls == []  # a literal is judged as it is, never looked up
    assert local_http.seen == []


async def test_a_name_resolving_to_loopback_is_refused(local_http):
    resolver = FixedResolver(["127.0.0.1"])
    async with safe_client(allow_private=False, timeout=5, resolver=resolver) as client:
        with pytest.raises(TargetBlocked) as caught:
            await client.post(f"http://receiver.test:{local_http.port}/hook", content=b"{}")
    assert str(caught.value) == "refused receiver.test at 127.0.0.1: loopback"
    assert (caught.value.host, caught.value.address, caught.value.reason) == ("receiver.test", "127.0.0.1", "loopback")
    assert resolver.calls == [("receiver.test", local_http.port)]
    assert local_http.seen == []


async def test_odd_numeric_hosts_are_judged_by_what_the_system_resolver_makes_of_them(local_http):
    async with safe_client(allow_private=False, timeout=5) as client:
        for host in ("2130706433", "127.1", "0x7f.1"):
            with pytest.raises(TargetBlocked, match="at 127.0.0.1: loopback"):
                await client.get(f"http://{host}:{local_http.port}/")
    assert local_http.seen == []


async def test_one_private_answer_among_public_ones_refuses_the_name(local_http):
    resolver, network = FixedResolver([PUBLIC, "10.0.0.5"]), LoopbackNetwork()
    async with guarded(allow_private=False, resolver=resolver, network=network) as client:
        with pytest.raises(TargetBlocked, match=r"refused receiver\.test at 10\.0\.0\.5: private"):
            await client.get(f"http://receiver.test:{local_http.port}/")
    assert network.connected == []
    assert local_http.seen == []


async def test_rebinding_after_the_check_never_reaches_the_second_answer(local_http):
    # Checked answer public, the next lookup loopback: a client that looked up again to connect
    # would reach 127.0.0.1; this one connects to the address it checked, looked up once.
    resolver, network = FixedResolver([PUBLIC], ["127.0.0.1"]), LoopbackNetwork()
    async with guarded(allow_private=False, resolver=resolver, network=network) as client:
        response = await client.get(f"http://receiver.test:{local_http.port}/hook")
    assert response.status_code == 200
    assert network.connected == [PUBLIC]
    assert resolver.calls == [("receiver.test", local_http.port)]


async def test_each_connection_resolves_once_and_connects_to_that_answer(local_http):
    # allow_private so that loopback is reachable: 127.0.0.1 first, 10.255.255.1 afterwards. The
    # server closes every connection (HTTP/1.0), so each request is a connection of its own.
    resolver, network = FixedResolver(["127.0.0.1"], ["10.255.255.1"]), LoopbackNetwork()
    async with guarded(allow_private=True, resolver=resolver, network=network) as client:
        first = await client.get(f"http://example.test:{local_http.port}/one")
        with pytest.raises(httpx.ConnectError, match="10.255.255.1 unreachable"):
            await client.get(f"http://example.test:{local_http.port}/two")
    assert first.status_code == 200
    assert local_http.paths() == ["/one"]
    assert len(resolver.calls) == 2
    assert network.connected == ["127.0.0.1", "10.255.255.1"]


async def test_a_kept_alive_connection_is_not_looked_up_again():
    # An HTTP/1.1 server keeps the connection: three requests, one lookup, one connect.
    server = LocalServer()
    server.httpd.RequestHandlerClass.protocol_version = "HTTP/1.1"
    try:
        resolver, network = FixedResolver(["127.0.0.1"], ["10.255.255.1"]), LoopbackNetwork()
        async with guarded(allow_private=True, resolver=resolver, network=network) as client:
            for _ in range(3):
                assert (await client.get(f"http://example.test:{server.port}/")).status_code == 200
        assert len(resolver.calls) == 1
        assert network.connected == ["127.0.0.1"]
        assert server.paths() == ["/", "/", "/"]
    finally:
        server.close()


async def test_resolver_failures_are_connect_errors():
    class Failing:
        async def resolve(self, host: str, port: int) -> list[str]:
            raise OSError("no such name")

    async with safe_client(allow_private=False, timeout=5, resolver=Failing()) as client:
        with pytest.raises(httpx.ConnectError, match="cannot resolve receiver.test: no such name"):
            await client.get("https://receiver.test/")
    async with safe_client(allow_private=False, timeout=5, resolver=FixedResolver([])) as client:
        with pytest.raises(httpx.ConnectError, match="has no addresses"):
            await client.get("https://receiver.test/")


async def test_a_slow_resolver_is_bounded_by_the_connect_timeout():
    class Slow:
        async def resolve(self, host: str, port: int) -> list[str]:
            await asyncio.sleep(10)
            return ["127.0.0.1"]

    async with safe_client(allow_private=True, timeout=0.2, resolver=Slow()) as client:
        with pytest.raises(httpx.ConnectTimeout):
            await client.get("https://receiver.test/")


# -- what the receiver sees ------------------------------------------------------------------------


async def test_the_host_header_is_the_original_name(local_http):
    async with safe_client(allow_private=True, timeout=5, resolver=FixedResolver(["127.0.0.1"])) as client:
        response = await client.post(f"http://receiver.test:{local_http.port}/hook", content=b"{}")
    assert response.status_code == 200
    assert [s.host for s in local_http.seen] == [f"receiver.test:{local_http.port}"]


async def test_redirects_are_returned_not_followed(local_http):
    async with safe_client(allow_private=True, timeout=5, resolver=FixedResolver(["127.0.0.1"])) as client:
        response = await client.get(f"http://receiver.test:{local_http.port}/redirect")
    assert response.status_code == 302
    assert local_http.paths() == ["/redirect"]


async def test_a_redirect_followed_anyway_is_checked_like_any_target(local_http):
    resolver, network = FixedResolver([PUBLIC]), LoopbackNetwork()
    async with guarded(allow_private=False, resolver=resolver, network=network) as client:
        with pytest.raises(TargetBlocked, match="refused 127.0.0.1: loopback"):
            await client.get(f"http://receiver.test:{local_http.port}/redirect", follow_redirects=True)
    assert local_http.paths() == ["/redirect"]
    assert network.connected == [PUBLIC]


async def test_proxies_in_the_environment_are_ignored(monkeypatch, local_http):
    # With a proxy the name would be handed to it unresolved; here our resolver sees it and refuses.
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(variable, f"http://127.0.0.1:{local_http.port}")
    resolver = FixedResolver(["127.0.0.1"])
    async with safe_client(allow_private=False, timeout=5, resolver=resolver) as client:
        assert client.trust_env is False
        assert client.follow_redirects is False
        with pytest.raises(TargetBlocked, match="refused receiver.test at 127.0.0.1"):
            await client.get("http://receiver.test/hook")
    assert resolver.calls == [("receiver.test", 80)]
    assert local_http.seen == []


# -- TLS: SNI and certificate check use the name -----------------------------------------------------


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path) -> Iterator[tuple[LocalServer, ssl.SSLContext]]:
    cert_path, key_path = _certificate(tmp_path, "receiver.test")
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_path, key_path)
    client_ctx = ssl.create_default_context(cafile=str(cert_path))
    server = LocalServer(tls=server_ctx)
    yield server, client_ctx
    server.close()


async def test_tls_uses_the_name_for_sni_and_the_certificate(tls_server):
    server, client_ctx = tls_server
    transport = GuardedTransport(allow_private=True, resolver=FixedResolver(["127.0.0.1"]), verify=client_ctx)
    async with httpx.AsyncClient(transport=transport, timeout=5) as client:
        response = await client.get(f"https://receiver.test:{server.port}/hook")
        assert response.status_code == 200
        # The certificate names receiver.test only: checked against 127.0.0.1 it would fail.
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED|match"):
            await client.get(f"https://127.0.0.1:{server.port}/hook")
    assert server.sni[0] == "receiver.test"
    assert [s.host for s in server.seen] == [f"receiver.test:{server.port}"]


# -- bounded reading -------------------------------------------------------------------------------


async def test_read_limited_stops_at_the_limit(local_http):
    async with safe_client(allow_private=True, timeout=5, resolver=FixedResolver(["127.0.0.1"])) as client:
        async with client.stream("GET", f"http://receiver.test:{local_http.port}/big") as response:
            body = await read_limited(response, 1000)
            downloaded = response.num_bytes_downloaded
        assert body == b"x" * 1000
        assert downloaded < 1000 + 2 * 65536  # at most the chunk in flight, never the 4 MiB
        assert response.is_closed


async def test_read_limited_returns_a_short_body_whole(local_http):
    async with safe_client(allow_private=True, timeout=5, resolver=FixedResolver(["127.0.0.1"])) as client:
        async with client.stream("GET", f"http://receiver.test:{local_http.port}/small") as response:
            assert await read_limited(response, 1000) == b"ok"
        assert await read_limited(await client.get(f"http://receiver.test:{local_http.port}/"), 1) == b"o"
