"""The HTTP client webhooks are sent with: it connects only to addresses it has judged public.

A receiver's name is resolved once per connection, every answer is judged with
`forbidden_reason`, and the socket is opened to one of those very addresses, so a DNS answer
that changes between the check and the connect (rebinding) never reaches an internal service.
The name itself stays the request's: httpcore builds the Host header and TLS SNI and certificate
check from the URL, and only the TCP connect is handed the address. Redirects are not followed,
and a hop the caller follows anyway goes through the same check. No proxy is taken from the
environment: a proxy would do its own lookup, out of our sight.
"""

from __future__ import annotations

import ssl
import time
import typing
from ipaddress import IPv4Address, IPv6Address, ip_address

import anyio
import httpcore
import httpx

from reserves.webhooks.targets import Resolver, SystemResolver, forbidden_reason


class TargetBlocked(httpx.ConnectError):
    """The connection was refused before any packet was sent: the address is not public.

    An `httpx.ConnectError`, so it travels out of httpx unchanged and callers that already report
    connection failures report this one too; `host`, `address` and `reason` say what was refused.
    """

    def __init__(self, host: str, address: str, reason: str) -> None:
        where = address if host == address else f"{host} at {address}"
        super().__init__(f"refused {where}: {reason}")
        self.host, self.address, self.reason = host, address, reason


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """A network backend that resolves, judges every answer, then connects to a judged address.

    `inner` opens the sockets (anyio's backend unless given) and is only ever handed IP literals.
    With `allow_private` nothing is refused, but the single-lookup rule still holds.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver | None = None,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.resolver: Resolver = resolver or SystemResolver()
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to the first judged address that answers; `timeout` (seconds) covers the lookup too."""
        deadline = None if timeout is None else time.monotonic() + timeout
        addresses = await self.addresses(host, port, timeout)
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(address),
                    port,
                    timeout=_remaining(deadline),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                failure = exc
        raise httpcore.ConnectError(f"cannot connect to {host}: {failure}") from failure

    async def addresses(self, host: str, port: int, timeout: float | None) -> list[IPv4Address | IPv6Address]:
        """The addresses `host` may be reached at: a literal as is, a name resolved once; all judged."""
        literal = _literal(host)
        answers = [literal] if literal is not None else await self._resolve(host, port, timeout)
        if not self.allow_private:
            for address in answers:
                reason = forbidden_reason(address)
                if reason is not None:
                    raise TargetBlocked(host, host if literal is not None else str(address), reason)
        return answers

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[IPv4Address | IPv6Address]:
        try:
            with anyio.fail_after(timeout):
                answers = await self.resolver.resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not answers:
            raise httpcore.ConnectError(f"{host} has no addresses")
        try:
            return [ip_address(answer) for answer in answers]
        except ValueError as exc:
            raise httpcore.ConnectError(f"resolver answered {host} with a non-address: {exc}") from exc

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetBlocked(path, path, "unix sockets are never a webhook target")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def _literal(host: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(host)
    except ValueError:
        return None  # a name, or an odd numeric form that only the resolver may interpret


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's HTTP/1.1 transport over a `GuardedBackend`; `verify` as in httpx (tests pass a context).

    httpx has no parameter for the network backend, so the connection pool it builds is replaced
    by an identical one that has ours. Should a future httpx keep its pool elsewhere, this fails
    at construction rather than sending unguarded.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver | None = None,
        inner: httpcore.AsyncNetworkBackend | None = None,
        limits: httpx.Limits | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        limits = limits or httpx.Limits()
        super().__init__(verify=verify, trust_env=False, limits=limits)
        if type(getattr(self, "_pool", None)) is not httpcore.AsyncConnectionPool:
            raise RuntimeError("httpx's transport changed shape; the webhook client cannot be guarded")
        self.backend = GuardedBackend(allow_private=allow_private, resolver=resolver, inner=inner)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=self.backend,
        )


def safe_client(
    *,
    allow_private: bool,
    timeout: float,
    resolver: Resolver | None = None,
    max_connections: int = 100,
) -> httpx.AsyncClient:
    """The webhook client: guarded connects, no redirects, no proxies from the environment.

    `timeout` (seconds) bounds each of connect (lookup included), write, read and pool wait; bound
    a whole attempt around the call. The reply is asked for without content coding, so
    `read_limited` reads the body itself.
    """
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=min(20, max_connections))
    return httpx.AsyncClient(
        transport=GuardedTransport(allow_private=allow_private, resolver=resolver, limits=limits),
        follow_redirects=False,
        trust_env=False,
        timeout=timeout,
        headers={"accept-encoding": "identity"},
    )


async def read_limited(response: httpx.Response, limit: int) -> bytes:
    """At most `limit` bytes of a streamed response's body, as received; the rest is never read.

    Raw bytes, never decompressed, so a small compressed reply cannot expand past `limit` in
    memory. When the body is longer the response is closed, which drops its connection.
    """
    if response.is_stream_consumed:
        return response.content[:limit]
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += chunk[: limit - len(body)]
        if len(body) >= limit:
            await response.aclose()
            break
    return bytes(body)
