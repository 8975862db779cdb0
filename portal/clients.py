"""Who a request comes from, for per-client limits: the peer address, an IPv6 host by its /64.

Behind reverse proxies named in `[ratelimit] trusted_proxies`, the client is the rightmost
X-Forwarded-For entry that is not itself a trusted proxy (each proxy appends the address it saw, so
only entries right of the first untrusted one were written by our proxies; anything left of it is
whatever the client chose to send). From any other peer the header is ignored. The rate limiter
resolves this once per request (`ClientResolver.resolve`), puts the real client in the ASGI scope
and its key in the scope's state: the limiter, the per-client stream cap and the handlers all read
that one answer; `X-Forwarded-Proto` (http or https) from a trusted proxy sets the scheme. uvicorn's
own proxy handling stays off (its `*` trusts the leftmost entry).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from litestar.types import Scope

KEY_STATE = "client_key"  # the scope["state"] entry holding the request's client key
_CACHE_SIZE = 4096


def client_key(host: str) -> str:
    """The limit key of a peer address: an IPv6 host is its /64 (one host can use every address
    of its prefix), an IPv4-mapped IPv6 address its IPv4 address; anything else as given."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


def request_client_key(scope: Scope) -> str:
    """The key the limiter gave this request (see `ClientResolver`), else the peer's own key."""
    key = scope.get("state", {}).get(KEY_STATE)
    if key is not None:
        return key
    client = scope.get("client")
    return client_key(client[0] if client else "unknown")


class ClientResolver:
    """The client of a request and its key, given the trusted proxies (none: the peer, always)."""

    def __init__(self, proxies: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network] = ()) -> None:
        self.proxies = tuple(proxies)
        self._keys: dict[str, str] = {}  # peer address -> key: bounded, cleared when full
        self._trusted: dict[str, bool] = {}

    def key(self, host: str) -> str:
        """`client_key(host)`, remembered: an IPv4 peer (the common case) costs a dict lookup."""
        key = self._keys.get(host)
        if key is None:
            if len(self._keys) >= _CACHE_SIZE:
                self._keys.clear()
            key = self._keys[host] = client_key(host)
        return key

    def trusted(self, host: str) -> bool:
        """Whether `host` is one of our proxies (an unparsable entry never is)."""
        known = self._trusted.get(host)
        if known is None:
            try:
                ip = ipaddress.ip_address(host)
            except ValueError:
                known = False
            else:
                if ip.version == 6 and ip.ipv4_mapped is not None:
                    ip = ip.ipv4_mapped
                known = any(ip in net for net in self.proxies)
            if len(self._trusted) >= _CACHE_SIZE:
                self._trusted.clear()
            self._trusted[host] = known
        return known

    def resolve(self, scope: Scope) -> str:
        """The request's client key; with a trusted peer, scope["client"] becomes the forwarded client."""
        peer = scope.get("client")
        host = peer[0] if peer else "unknown"
        if self.proxies and self.trusted(host):
            forwarded = self.forwarded_client(scope)
            if forwarded is not None:
                host = forwarded
                scope["client"] = (forwarded, 0)
            proto = next((v for k, v in scope["headers"] if k == b"x-forwarded-proto"), None)
            if proto in (b"http", b"https"):  # what the client used to reach our proxy (as uvicorn did)
                scope["scheme"] = proto.decode()
        key = self.key(host)
        scope["state"][KEY_STATE] = key
        return key

    def forwarded_client(self, scope: Scope) -> str | None:
        """The rightmost X-Forwarded-For address that is not a trusted proxy; None when the header is
        missing or names only proxies (the peer then stays the client). A malformed entry ends the
        walk: it was not written by a proxy we trust, so it counts as the client."""
        values = [v for k, v in scope["headers"] if k == b"x-forwarded-for"]
        if not values:
            return None
        entries = b",".join(values).decode("latin-1").split(",")
        for raw in reversed(entries):
            entry = _host_of(raw.strip())
            if not entry:
                continue
            if not self.trusted(entry):
                return entry
        return None


def _host_of(entry: str) -> str:
    """The address of an X-Forwarded-For entry, without a port ("[2001:db8::1]:443", "192.0.2.1:80")."""
    if entry.startswith("["):
        return entry[1 : entry.find("]")] if "]" in entry else entry
    if entry.count(":") == 1:
        return entry.split(":", 1)[0]
    return entry[:64]
