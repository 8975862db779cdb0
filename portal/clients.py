"""Who a request comes from, for per-client limits: the peer address, an IPv6 host by its /64.

The peer is what uvicorn puts in the ASGI scope: behind a reverse proxy, the proxy itself, unless
`[portal] forwarded_allow_ips` names it (then the client its X-Forwarded-For gives).
"""

from __future__ import annotations

import ipaddress


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
