"""The `[ratelimit]` table: per-client request budgets of the web role, trusted proxies, shared buckets.

Every budget is `requests` per `window_seconds`: a client (its address, an IPv6 client its /64)
may spend `requests` at once, and earns them back evenly over the window. `trusted_proxies` lists
the reverse proxies (addresses or CIDR networks) whose `X-Forwarded-For` names the client; by
default none is trusted and the header is ignored. `redis_url` (or `redis_url_env`/`redis_url_file`)
shares the buckets across web workers and replicas; without it each process counts for itself.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reserves.errors import ConfigError
from reserves.settings.values import bool_, int_, no_unknown, num, secret, short, table

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Budget:
    """`requests` per `window_seconds`, all of them at once for a client that was quiet a whole window."""

    requests: int
    window_seconds: int = 60


@dataclass(frozen=True)
class ChallengeBudget(Budget):
    """All clients together; `reserve` requests of it are kept for clients that asked nothing for a
    window, so that a few busy clients (or one /64) cannot take the whole budget from everyone."""

    reserve: int = 0


@dataclass(frozen=True)
class RateLimitSettings:
    """Budgets per route class (see portal.ratelimit.routes); `challenges` per client comes from
    `[proofs] online_rate_per_minute` unless given here."""

    enabled: bool = True
    redis_url: str | None = field(default=None, repr=False)
    key_prefix: str = "reserves:rl:"
    redis_timeout_seconds: float = 0.1
    trusted_proxies: tuple[IPNetwork, ...] = ()
    max_clients: int = 100_000
    api: Budget = Budget(1200)
    static: Budget = Budget(1200)
    pages: Budget = Budget(300)
    expensive: Budget = Budget(60)
    signatures: Budget = Budget(30)
    admin: Budget = Budget(300)
    admin_failures: Budget = Budget(10)
    challenges: Budget | None = None
    challenges_all: ChallengeBudget = ChallengeBudget(60, 60, reserve=30)


BUDGETS = ("api", "static", "pages", "expensive", "signatures", "admin", "admin_failures", "challenges")
_KEYS = {
    "enabled",
    "redis_url",
    "redis_url_env",
    "redis_url_file",
    "key_prefix",
    "redis_timeout_seconds",
    "trusted_proxies",
    "max_clients",
    "challenges_all",
    *BUDGETS,
}
MAX_REQUESTS = 1_000_000
MAX_WINDOW = 86_400


def ratelimit(t: dict[str, Any], env: Mapping[str, str], base: Path) -> RateLimitSettings:
    """The table's settings, each key checked with an error that names it."""
    w = "ratelimit."
    no_unknown(w, t, _KEYS)
    d = RateLimitSettings()
    url = secret(t, "redis_url", w + "redis_url", env, base)
    if url is not None and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"{w}redis_url: must be a redis://, rediss:// or unix:// URL")
    budgets = {name: _budget(table(t, name), w + name, getattr(d, name)) for name in BUDGETS if name in t}
    return replace(
        d,
        enabled=bool_(t, "enabled", w + "enabled", True),
        redis_url=url,
        key_prefix=short(t, "key_prefix", w + "key_prefix", d.key_prefix, 100),
        redis_timeout_seconds=num(
            t, "redis_timeout_seconds", w + "redis_timeout_seconds", d.redis_timeout_seconds, lo=0.01, hi=5.0
        ),
        trusted_proxies=trusted_proxies(t.get("trusted_proxies", []), w + "trusted_proxies"),
        max_clients=int_(t, "max_clients", w + "max_clients", d.max_clients, lo=100, hi=10_000_000),
        challenges_all=_challenges_all(table(t, "challenges_all"), d.challenges_all),
        **budgets,
    )


def _budget(t: dict[str, Any], where: str, default: Budget | None) -> Budget:
    no_unknown(where + ".", t, {"requests", "window_seconds"})
    d = default or Budget(1)
    return Budget(
        requests=int_(t, "requests", where + ".requests", d.requests, lo=1, hi=MAX_REQUESTS),
        window_seconds=int_(t, "window_seconds", where + ".window_seconds", d.window_seconds, lo=1, hi=MAX_WINDOW),
    )


def _challenges_all(t: dict[str, Any], d: ChallengeBudget) -> ChallengeBudget:
    where = "ratelimit.challenges_all"
    no_unknown(where + ".", t, {"requests", "window_seconds", "reserve"})
    base = _budget({k: v for k, v in t.items() if k != "reserve"}, where, d)
    reserve = int_(t, "reserve", where + ".reserve", min(d.reserve, base.requests - 1), lo=0, hi=MAX_REQUESTS)
    if reserve >= base.requests:
        raise ConfigError(f"{where}.reserve: must be smaller than requests ({base.requests})")
    return ChallengeBudget(base.requests, base.window_seconds, reserve)


def trusted_proxies(value: Any, where: str) -> tuple[IPNetwork, ...]:
    """Proxy addresses or networks; `*` (trust anyone to name any client) is refused."""
    if isinstance(value, str):  # the comma-separated form of [portal] forwarded_allow_ips
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or len(value) > 1000:
        raise ConfigError(f"{where}: a list of at most 1000 IP addresses or CIDR networks")
    out = []
    for item in value:
        if item == "*":
            raise ConfigError(
                f"{where}: '*' is refused: any client could name any address in X-Forwarded-For and escape "
                'its limits; list the proxies\' addresses or networks (e.g. "10.0.0.0/8")'
            )
        try:
            out.append(ipaddress.ip_network(item, strict=False) if isinstance(item, str) else None)
        except ValueError:
            out.append(None)
        if out[-1] is None:
            raise ConfigError(f"{where}: {item!r} is not an IP address or CIDR network")
    return tuple(n for n in out if n is not None)
