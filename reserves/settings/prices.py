"""The `[prices]` table and its `[[prices.sources]]`: the pair, the round's interval and the rules.

No source configured: the feature is off (no job, the pages say so). Each source is parsed by its
adapter kind (`price-ticker`, `price-feed`, or a plugin's with role "price") and is given the
table's `pair`; secrets (`url_env`, `rpc_url_file`, ...) resolve like every other source's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from reserves.errors import ConfigError
from reserves.prices.aggregate import SCALE, PricePolicy
from reserves.settings.model import PriceSettings
from reserves.settings.sources import sources
from reserves.settings.values import int_, no_unknown, num, str_

_KEYS = {
    "pair",
    "interval_seconds",
    "deviation_bp",
    "min_sources",
    "heartbeat_seconds",
    "max_age_seconds",
    "min_price",
    "max_price",
    "sources",
}
MAX_SOURCES = 32
# A bound as written by people: digits, at most SCALE decimals (a price_e8 holds no finer), no exponent,
# sign, space or underscore (Decimal() would take "1e5", " 1 " and "1_000").
_PLAIN_DECIMAL = re.compile(rf"[0-9]{{1,30}}(\.[0-9]{{1,{SCALE}}})?")


def _decimal(t: dict[str, Any], key: str, default: Decimal) -> Decimal:
    value = t.get(key, str(default))
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not _PLAIN_DECIMAL.fullmatch(text) or Decimal(text) <= 0:
        raise ConfigError(
            f'prices.{key}: a positive decimal of at most 30 digits and {SCALE} decimals, as a string ("1", "10000000")'
        )
    return Decimal(text)


def prices(t: dict[str, Any], env: Mapping[str, str], base: Path) -> PriceSettings:
    """`[prices]` from its TOML table (empty: the defaults, no sources)."""
    no_unknown("prices.", t, _KEYS)
    d, p = PriceSettings(), PricePolicy()
    pair = str_(t, "pair", "prices.pair", d.pair)
    left, slash, right = pair.partition("/")
    # Upper case, as tickers and the attestation spell it: "btc/usd" would be a second name of one pair.
    if (
        not slash
        or not pair.isascii()
        or not left.isalnum()
        or not right.isalnum()
        or len(pair) > 32
        or pair != pair.upper()
    ):
        raise ConfigError("prices.pair: BASE/QUOTE in upper case, e.g. BTC/USD")
    policy = PricePolicy(
        deviation_bp=int_(t, "deviation_bp", "prices.deviation_bp", p.deviation_bp, lo=1, hi=5_000),
        min_sources=int_(t, "min_sources", "prices.min_sources", p.min_sources, lo=1, hi=MAX_SOURCES),
        heartbeat_seconds=int_(
            t, "heartbeat_seconds", "prices.heartbeat_seconds", p.heartbeat_seconds, lo=1, hi=86_400
        ),
        max_age_seconds=int_(t, "max_age_seconds", "prices.max_age_seconds", p.max_age_seconds, lo=1, hi=86_400),
        min_price=_decimal(t, "min_price", p.min_price),
        max_price=_decimal(t, "max_price", p.max_price),
    )
    if policy.min_price >= policy.max_price:
        raise ConfigError("prices.min_price: must be below max_price")
    entries = t.get("sources", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError("prices.sources: must be an array of tables ([[prices.sources]])")
    if len(entries) > MAX_SOURCES:
        raise ConfigError(f"prices.sources: at most {MAX_SOURCES}")
    for i, entry in enumerate(entries):
        if entry.get("pair", pair) != pair:
            raise ConfigError(f"prices.sources[{i}].pair: every source reads the table's pair {pair!r}")
    tables = [{**e, "pair": pair} for e in entries]
    parsed = sources({"prices.sources": tables}, "prices.sources", "price", env, base)
    if parsed and policy.min_sources > len(parsed):
        raise ConfigError(
            f"prices.min_sources: {policy.min_sources} is more than the {len(parsed)} "
            f"source{'s' if len(parsed) != 1 else ''} declared: every round would be stale"
        )
    return PriceSettings(
        pair=pair,
        interval_seconds=num(t, "interval_seconds", "prices.interval_seconds", d.interval_seconds, lo=1, hi=86_400),
        policy=policy,
        sources=tuple(parsed),
    )
