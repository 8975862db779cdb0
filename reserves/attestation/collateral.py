"""Liquidity-provider collateral arithmetic: values in satoshis, the ratio, the state and the penalty.

Integers only, every rounding against the provider (DESIGN.md §4.2): collateral is valued down,
the obligation up, the ratio floored, the penalty (owed to the holders) rounded up. The engine and
the verifier (members/providers.py) share these functions, so a published state can always be
re-derived from the document alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reserves.attestation.arithmetic import BP_SCALE, SAT_PER_BTC
from reserves.errors import InvalidInput

E8 = 10**8  # prices and USD amounts are scaled by 10**8
PAIR = "BTC-USD"
ASSETS = ("BTC", "USD")  # what a leg holds: BTC (or a 1:1 wrapped BTC) or a USD stablecoin
LEVELS = ("liquidatable", "warning", "healthy")  # worst first
UNKNOWN = "unknown"
STATES = (*LEVELS, UNKNOWN)
_RANK = {name: i for i, name in enumerate(LEVELS)}
MAX_BP = 1_000_000  # thresholds above 10000 % are typos
MAX_DECIMALS = 36


@dataclass(frozen=True)
class Thresholds:
    """The operator's parameters, in basis points.

    Below `warning_below_bp` a provider is `warning`, below `liquidatable_below_bp` it is
    `liquidatable`; improving needs the ratio to clear a line by `hysteresis_bp` (worsening is
    immediate). `penalty_bp` of the obligation is owed on a default.
    """

    warning_below_bp: int = 15_000
    liquidatable_below_bp: int = 12_000
    hysteresis_bp: int = 100
    penalty_bp: int = 1_000

    def __post_init__(self) -> None:
        for key in ("warning_below_bp", "liquidatable_below_bp", "hysteresis_bp", "penalty_bp"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_BP:
                raise InvalidInput(f"{key} must be an integer from 0 to {MAX_BP}")
        if not 0 < self.liquidatable_below_bp <= self.warning_below_bp:
            raise InvalidInput("liquidatable_below_bp must be above 0 and at most warning_below_bp")
        if self.penalty_bp > BP_SCALE:
            raise InvalidInput(f"penalty_bp must be at most {BP_SCALE} (100 % of the obligation)")


@dataclass(frozen=True)
class Price:
    """The oracle's BTC price of one snapshot: `price_e8` USD per 1 BTC times 10**8 (rounded up: against
    the provider), its time, whether the engine calls it fresh, where it came from, and what makes
    `fresh` checkable: the age it may have at the snapshot (`max_age_seconds`), and how many of its
    round's `sources` it kept against the `min_sources` its quorum needs."""

    pair: str
    price_e8: int
    time: datetime
    fresh: bool
    source: str
    max_age_seconds: int = 600
    sources: int = 3
    kept: int = 3
    min_sources: int = 3


def _units(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{what} must be a non-negative integer")
    return value


def _decimals(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DECIMALS:
        raise InvalidInput(f"decimals must be an integer from 0 to {MAX_DECIMALS}")
    return value


def btc_sat(units: int, decimals: int, *, up: bool) -> int:
    """BTC-denominated raw units (10**decimals per BTC) in satoshis, rounded up or down."""
    units, scale = _units(units, "amount"), 10 ** _decimals(decimals)
    num = units * SAT_PER_BTC
    return -(-num // scale) if up else num // scale


def usd_e8(units: int, decimals: int) -> int:
    """USD raw units (10**decimals per dollar) as USD times 10**8, rounded down."""
    return _units(units, "amount") * E8 // 10 ** _decimals(decimals)


def usd_to_sat(usd_amount_e8: int, price_e8: int) -> int:
    """floor(usd_amount_e8 * 10**8 / price_e8): USD (x 10**8) in satoshis at `price_e8` USD per BTC (x 10**8)."""
    if isinstance(price_e8, bool) or not isinstance(price_e8, int) or price_e8 <= 0:
        raise InvalidInput("price_e8 must be a positive integer")
    return _units(usd_amount_e8, "usd amount") * SAT_PER_BTC // price_e8


def collateral_sat(units: int, decimals: int, asset: str, price_e8: int | None) -> int:
    """Collateral value in satoshis, rounded down: BTC 1:1, USD at `price_e8` (required for USD)."""
    if asset == "BTC":
        return btc_sat(units, decimals, up=False)
    if asset == "USD":
        if price_e8 is None:
            raise InvalidInput("USD collateral needs a price")
        return usd_to_sat(usd_e8(units, decimals), price_e8)
    raise InvalidInput(f"asset must be one of {', '.join(ASSETS)}")


def obligation_sat(units: int, decimals: int) -> int:
    """The obligation in satoshis (always BTC), rounded up."""
    return btc_sat(units, decimals, up=True)


def ratio_bp(collateral: int, obligation: int) -> int | None:
    """floor(collateral * 10000 / obligation); None without an obligation."""
    return None if obligation == 0 else _units(collateral, "collateral") * BP_SCALE // obligation


def penalty_sat(obligation: int, penalty_bp: int) -> int:
    """What a default costs the provider: `penalty_bp` of the obligation, rounded up (the holders' favour)."""
    return -(-_units(obligation, "obligation") * penalty_bp // BP_SCALE)


def level(ratio: int | None, t: Thresholds, previous: str | None) -> tuple[str, list[str]]:
    """The state of `ratio` given the state before, and why it is not better when the band holds it.

    Worsening is immediate; a ratio rising above a line must clear it by `hysteresis_bp` unless the
    state before was already at least that good. With no state before (the first reading, or after
    `unknown`) the band applies to every line: the strictest assumption. No obligation: healthy.
    """
    if ratio is None:
        return "healthy", []
    liq, warn, band = t.liquidatable_below_bp, t.warning_below_bp, t.hysteresis_bp
    prev = _RANK.get(previous or "", 0)
    if ratio < liq:
        return "liquidatable", [f"ratio {ratio} bp is below the liquidation line {liq} bp"]
    if ratio < warn:
        if prev >= _RANK["warning"] or ratio >= liq + band:
            return "warning", [f"ratio {ratio} bp is below the warning line {warn} bp"]
        return "liquidatable", [_held(ratio, liq, band, previous)]
    if prev >= _RANK["healthy"] or ratio >= warn + band:
        return "healthy", []
    if prev >= _RANK["warning"] or ratio >= liq + band:
        return "warning", [_held(ratio, warn, band, previous)]
    return "liquidatable", [_held(ratio, liq, band, previous)]


def _held(ratio: int, line: int, band: int, previous: str | None) -> str:
    before = f"was {previous}" if previous else "no state before"
    return f"ratio {ratio} bp has not cleared {line} bp by the {band} bp band ({before})"
