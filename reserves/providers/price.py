"""The BTC price a snapshot values non-BTC collateral with: the price oracle's newest round.

`snapshot_price` reads the newest stored round of `[prices].pair` at or before the snapshot
(reserves.prices.lookup.price_at) and hands it to the providers member as a `collateral.Price`:
pair "BTC-USD", `price_e8` (USD per BTC times 10**8, floored), the round's time, and `fresh` only
when the round kept its quorum (`status` "fresh") and is at most `max_age` before the snapshot. A
stale or old round is still passed on, marked not fresh, so the member says which price it refused
and why; with no round at all (or a round that kept no source) the member has no price. Either way
a USD collateral is then `unknown`: never valued with a price no quorum said.

With no price source configured there is no price, and USD collateral is `unknown`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from reserves.attestation.collateral import PAIR, Price
from reserves.prices.lookup import price_at
from reserves.settings.model import PriceSettings
from reserves.storage.db import Database

ORACLE_PAIR = "BTC/USD"  # the oracle's name of collateral.PAIR
MIN_MAX_AGE = timedelta(seconds=60)
# How far back a round is still looked at (and then reported as not fresh) rather than ignored.
LOOKBACK = timedelta(days=1)


def max_age(prices: PriceSettings) -> timedelta:
    """How old a round may be at a snapshot and still value collateral: three rounds, at least a minute."""
    return max(MIN_MAX_AGE, timedelta(seconds=3 * prices.interval_seconds))


def source_of(prices: PriceSettings, kept: int, total: int) -> str:
    return f"median of {kept} of {total} sources ({prices.pair}, round of {prices.interval_seconds:g} s)"


async def snapshot_price(db: Database, prices: PriceSettings, now: datetime) -> Price | None:
    """The BTC-USD price of the snapshot taken at `now`, None when the oracle has none (see the module docstring)."""
    if not prices.enabled or prices.pair != ORACLE_PAIR:
        return None
    stored = await price_at(db, prices.pair, now, max_age=LOOKBACK, allow_stale=True)
    if stored is None or stored.price_e8 is None or stored.price_e8 <= 0:
        return None
    fresh = stored.status == "fresh" and now - stored.time <= max_age(prices)
    return Price(
        pair=PAIR,
        price_e8=stored.price_e8,
        time=stored.time,
        fresh=fresh,
        source=source_of(prices, stored.kept, stored.sources),
    )
