"""How figures are written for people and in JSON read models: amounts, ratios, hashes, times.

Exact decimal strings from integers (never floats), floor like the ratio itself, UTC times with a
`Z`. The one home for display formatting: the API, the pages and the services all use these.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import overload

MIN_PLACES = 8  # BTC units are shown with at least satoshi precision


def token_units(units: int | str | None, decimals: int | None, min_places: int = MIN_PLACES) -> str | None:
    """Raw token units as an exact decimal string in whole tokens (1 token = 1 BTC), no floats.

    Shows at least `min_places` places (8: a BTC token; 2: a USD one); more only when the token has
    more decimals and they are not zero.
    """
    if units is None or decimals is None:
        return None
    n = int(units)
    sign = "-" if n < 0 else ""
    whole, frac = divmod(abs(n), 10**decimals)
    digits = f"{frac:0{decimals}d}" if decimals else ""
    digits = digits.ljust(min_places, "0")
    if len(digits) > min_places:
        digits = digits[:min_places] + digits[min_places:].rstrip("0")
    return f"{sign}{whole:,}.{digits}"


@overload
def btc(sat: None) -> None: ...
@overload
def btc(sat: int | str) -> str: ...
def btc(sat: int | str | None) -> str | None:
    """Satoshis as an exact BTC decimal string (8 places, thousands grouped), no floats."""
    return token_units(sat, 8)


@overload
def percent(ratio_bp: None) -> None: ...
@overload
def percent(ratio_bp: int | str) -> str: ...
def percent(ratio_bp: int | str | None) -> str | None:
    """Basis points as a percentage with two decimals ("100.42%"), floor like the ratio itself."""
    if ratio_bp is None:
        return None
    bp = int(ratio_bp)
    return f"{bp // 100:,}.{bp % 100:02d}%"


def short_hash(block_hash: str | None) -> str | None:
    """`0x1234abcd…90ef`: enough to tell blocks apart on screen (the full hash is in the title)."""
    if not block_hash:
        return None
    prefix = "0x" if block_hash.startswith("0x") else ""
    digits = block_hash[len(prefix) :]
    return block_hash if len(digits) <= 12 else f"{prefix}{digits[:8]}…{digits[-4:]}"


@overload
def iso(moment: None) -> None: ...
@overload
def iso(moment: datetime) -> str: ...
def iso(moment: datetime | None) -> str | None:
    """`2026-12-05T09:30:00Z`: whole seconds in UTC; a naive datetime is UTC (as SQLite returns it)."""
    if moment is None:
        return None
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


MONTH, YEAR = 2_629_746, 31_556_952  # seconds in the Gregorian calendar's mean month and year
# (unit, its name, the duration below which it is used), smallest first; years above the last.
_ROUGH = ((60, "minute", 3600), (3600, "hour", 2 * 86400), (86400, "day", 60 * 86400), (MONTH, "month", 2 * YEAR))


def rough_duration(seconds: int) -> str:
    """A duration in the largest unit that fits, rounded to the nearest: "about 3 hours", "about 278 days"
    (for estimates and countdowns, never for a figure that must be exact)."""
    s = max(0, seconds)
    if s < 60:
        return "under a minute"
    unit, name = next(((u, n) for u, n, below in _ROUGH if s < below), (YEAR, "year"))
    n = max(1, (s + unit // 2) // unit)
    return f"about {n:,} {name}{'s' if n != 1 else ''}"
