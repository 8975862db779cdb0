"""Jinja filters the pages share: relative ages in words, and the display formats of amounts and ratios."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from reserves.read.display import btc, percent
from reserves.read.prices import money, price_text


def ago(seconds: int | None) -> str:
    """A non-negative age in seconds as people say it: "just now", "42 s ago", "3 min ago", "5 h 2 min
    ago", "4 days ago" (floor, like every figure here)."""
    if seconds is None:
        return "age unknown"
    s = max(0, int(seconds))
    if s < 2:
        return "just now"
    if s < 60:
        return f"{s} s ago"
    if s < 3600:
        return f"{s // 60} min ago"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h} h {m} min ago" if m else f"{h} h ago"
    d = s // 86400
    return f"{d} day ago" if d == 1 else f"{d} days ago"


def since(iso: str | None) -> int | None:
    """Seconds from an ISO 8601 UTC time (`...Z`) to now; None when it is not one."""
    if not iso:
        return None
    try:
        then = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    return int((datetime.now(timezone.utc) - then).total_seconds())


def price_e8(value: str | None) -> str:
    """A price_e8 decimal string as the price with 8 decimals ("—" when there is none)."""
    return "—" if value is None else price_text(int(value)) or "—"


def usd_e8(value: str | None) -> str:
    """A price_e8 decimal string (USD x 10**8) to the cent, floored and grouped: "66,330.05" ("—" without one)."""
    return "—" if value is None else money(int(value) // 10**6)


def install(env: Any) -> None:
    """Adds the filters to a Jinja environment."""
    env.filters.update(ago=ago, since=since, percent=percent, btc=btc, price_e8=price_e8, usd_e8=usd_e8)


def register(engine: Any) -> None:
    """The template engine's callback (create_app): adds the filters to its environment."""
    install(engine.engine)
