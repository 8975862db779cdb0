"""Where webhooks may be sent: the address ranges and URL shapes refused, and the resolver seam.

Two checks guard against the portal being used to reach internal services (SSRF). `check_url`
runs when a subscription is made and refuses what is wrong in the URL itself (scheme, userinfo,
literal private addresses, internal-only names). Names are not resolved there: DNS answers
change, so `reserves.webhooks.transport` resolves once per connection, judges every answer with
`forbidden_reason`, and connects to the address it judged.

IPv6 forms that carry an IPv4 address: IPv4-mapped (`::ffff:0:0/96`) and NAT64 well-known
(`64:ff9b::/96`) are how an IPv6 socket really reaches an IPv4 host (dual-stack sockets, DNS64
networks), so the embedded IPv4 address is judged. The deprecated or tunnelled forms, IPv4-
compatible (`::/96`), 6to4 (`2002::/16`), Teredo (`2001::/32`) and the local-use NAT64 prefix
(`64:ff9b:1::/48`, whose embedding position is the operator's choice), are refused outright: no
real receiver is published on them, and their far end cannot be judged reliably.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import unicodedata
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Protocol

import httpx

from reserves.webhooks.errors import TargetRefused

MAX_URL_LENGTH = 2048

# Cloud instance-metadata endpoints: named apart so the refusal says what was being reached.
# AWS/GCP/Azure/OpenStack 169.254.169.254, AWS ECS task metadata 169.254.170.2, Azure wireserver
# 168.63.129.16 (public space, but only ever the host's agent), Alibaba 100.100.100.200, AWS IPv6.
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "168.63.129.16", "100.100.100.200", "fd00:ec2::254")
)

# What the stdlib lumps together under is_private, split so the refusal names the range.
_V4_RANGES: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(net), reason)
    for net, reason in (
        ("0.0.0.0/8", "unspecified"),  # "this network": Linux connects 0.x to the local host
        ("10.0.0.0/8", "private"),
        ("172.16.0.0/12", "private"),
        ("192.168.0.0/16", "private"),
        ("100.64.0.0/10", "cgnat"),
        ("192.0.0.0/24", "ietf-protocol"),
        ("192.0.2.0/24", "documentation"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("198.18.0.0/15", "benchmarking"),
        ("192.88.99.0/24", "6to4-relay"),
        ("255.255.255.255/32", "broadcast"),
    )
)
_V6_RANGES: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(net), reason)
    for net, reason in (
        ("::/96", "ipv4-compatible"),  # deprecated (RFC 4291); :: and ::1 are judged before
        ("64:ff9b:1::/48", "nat64-local"),
        ("2002::/16", "6to4"),
        ("2001::/32", "teredo"),
        ("fc00::/7", "unique-local"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),  # RFC 9637; Python 3.11 still calls it global
        ("100::/64", "discard"),
        ("2001:2::/48", "benchmarking"),
        ("2001::/23", "ietf-protocol"),
    )
)
_NAT64 = IPv6Network("64:ff9b::/96")
_GLOBAL_UNICAST = IPv6Network("2000::/3")

# Names that only ever mean something inside a network: RFC 6761/6762/8375 special-use names,
# ICANN's private-use `.internal`, and the suffixes routers and corporate LANs hand out.
_INTERNAL_SUFFIXES = ("localhost", "local", "internal", "localdomain", "home.arpa", "lan", "intranet", "corp", "home")
# WHATWG URL's "ends in a number": such a host is an IPv4 address to browsers and to inet_aton.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")


def forbidden_reason(ip: IPv4Address | IPv6Address) -> str | None:
    """Why the portal must not connect to `ip` ("loopback", "private", ...); None for a public address."""
    if isinstance(ip, IPv6Address):
        return _v6_reason(ip)
    return _v4_reason(ip)


def _v4_reason(ip: IPv4Address) -> str | None:
    if ip in _METADATA:
        return "metadata"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    for network, reason in _V4_RANGES:
        if ip in network:
            return reason
    if ip.is_reserved or not ip.is_global:
        return "reserved"  # 240/4, and whatever else the stdlib knows is not global
    return None


def _v6_reason(ip: IPv6Address) -> str | None:
    ip = IPv6Address(int(ip))  # drop a zone id: it does not change which range the address is in
    if ip in _METADATA:
        return "metadata"
    embedded = ip.ipv4_mapped or (IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
    if embedded is not None:
        inner = _v4_reason(embedded)
        form = "ipv4-mapped" if ip.ipv4_mapped else "nat64"
        return None if inner is None else f"{form} {embedded}: {inner}"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_site_local:
        return "site-local"
    if ip.is_multicast:
        return "multicast"
    for network, reason in _V6_RANGES:
        if ip in network:
            return reason
    if ip not in _GLOBAL_UNICAST or not ip.is_global:
        return "reserved"  # outside 2000::/3 nothing is allocated for unicast hosts
    return None


def check_url(url: str, *, allow_private: bool, allow_http: bool) -> str:
    """The subscription URL normalised (httpx's form), or TargetRefused saying what is wrong.

    Only what the URL itself says is judged; a name is resolved and judged at each connection.
    `allow_private` admits private addresses and internal names (a lab or the devnet), never
    userinfo, odd numeric hosts or other schemes.
    """
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"URL longer than {MAX_URL_LENGTH} characters")
    # Control, format (zero-width, bidi) and unassigned characters hide what the URL really says.
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in url):
        raise TargetRefused("URL contains whitespace or control characters")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise TargetRefused(f"not a valid URL: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise TargetRefused("URL scheme must be https" + (" or http" if allow_http else ""))
    if parsed.scheme == "http" and not allow_http:
        raise TargetRefused("plain http is not allowed; use https")
    if parsed.userinfo:
        raise TargetRefused("URL must not carry a user name or password")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise TargetRefused(f"port {parsed.port} is out of range")
    _check_host(parsed.raw_host.decode("ascii").lower(), allow_private)
    return str(parsed)


def _check_host(host: str, allow_private: bool) -> None:
    if not host:
        raise TargetRefused("URL has no host")
    if ":" in host:
        _check_ipv6_literal(host, allow_private)
        return
    canonical = _dotted_quad(host)
    if canonical is not None:
        _check_address(canonical, allow_private)
        return
    if not _HOST_NAME.fullmatch(host):
        raise TargetRefused(f"host {host!r} is not a valid host name")
    labels = host.rstrip(".").split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        # 2130706433, 0x7f.1, 127.1, 017700000001: resolvers read these as IPv4 in ways that differ.
        raise TargetRefused(f"host {host!r} is a numeric address not written as a dotted quad")
    if allow_private:
        return
    name = ".".join(labels)
    if len(labels) == 1:
        raise TargetRefused(f"host {host!r} is not a fully qualified name")
    if any(name == s or name.endswith("." + s) for s in _INTERNAL_SUFFIXES):
        raise TargetRefused(f"host {host!r} is an internal name")


def _dotted_quad(host: str) -> IPv4Address | None:
    """The address when `host` is exactly a dotted quad as IPv4Address prints it (no leading zeros)."""
    try:
        address = IPv4Address(host)
    except ValueError:
        return None
    return address if str(address) == host else None


def _check_ipv6_literal(host: str, allow_private: bool) -> None:
    if "%" in host:
        raise TargetRefused("IPv6 zone identifiers are not allowed in a URL")
    try:
        address = IPv6Address(host)
    except ValueError as exc:
        raise TargetRefused(f"host {host!r} is not a valid IPv6 address") from exc
    _check_address(address, allow_private)


def _check_address(address: IPv4Address | IPv6Address, allow_private: bool) -> None:
    reason = forbidden_reason(address)
    if reason is not None and not allow_private:
        raise TargetRefused(f"address {address} is not allowed: {reason}")


class Resolver(Protocol):
    """Turns a host name into the IP addresses to try, in order; raises OSError when it cannot."""

    async def resolve(self, host: str, port: int) -> list[str]: ...


class SystemResolver:
    """The operating system's resolver (getaddrinfo in a thread), TCP answers only, duplicates dropped."""

    async def resolve(self, host: str, port: int) -> list[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses: list[str] = []
        for family, _type, _proto, _name, sockaddr in infos:
            address = str(sockaddr[0])
            if family in (socket.AF_INET, socket.AF_INET6) and address not in addresses:
                addresses.append(address)
        return addresses
