"""The BTC price a snapshot values non-BTC collateral with: the price oracle's newest round.

`newest_round` reads the newest stored round of `[prices].pair` at or before the snapshot starts
(reserves.prices.lookup.price_at); `judged` turns it into the member's `collateral.Price` at the
attestation's own `issued_at`: pair "BTC-USD", `price_e8` = the median in USD per BTC times 10**8
rounded up (a higher price values USD collateral lower: against the provider), the round's time
(whole seconds), and `fresh` only when the round kept its quorum and is at most `max_age` before
`issued_at`. The member also carries that max age and the round's source counts, so a verifier
re-checks `fresh` (members/providers.py). A stale or old round is still passed on, marked not
fresh, so the member says which price it refused and why; with no round in the last day (or one
that kept no source) the member has no price. Either way a USD collateral is then `unknown`:
never valued with a price no quorum said. With no price source configured there is no price.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from reserves.attestation.collateral import PAIR, Price
from reserves.prices.aggregate import SCALE
from reserves.prices.lookup import StoredPrice, price_at
from reserves.settings.model import PriceSettings
from reserves.storage.db import Database

ORACLE_PAIR = "BTC/USD"  # the oracle's name of collateral.PAIR
MIN_MAX_AGE = timedelta(seconds=60)
# How far back a round is still looked at (and then reported as not fresh) rather than ignored.
LOOKBACK = timedelta(days=1)


def max_age(prices: PriceSettings) -> timedelta:
    """How old a round may be at a snapshot and still value collateral: three rounds, at least a minute."""
    return max(MIN_MAX_AGE, timedelta(seconds=math.ceil(3 * prices.interval_seconds)))


def source_of(prices: PriceSettings, kept: int, total: int) -> str:
    return f"median of {kept} of {total} sources ({prices.pair}, round of {prices.interval_seconds:g} s)"


async def newest_round(db: Database, prices: PriceSettings, now: datetime) -> StoredPrice | None:
    """The newest round of the pair at or before `now` within LOOKBACK; None when the oracle has none to give."""
    if not prices.enabled or prices.pair != ORACLE_PAIR:
        return None
    stored = await price_at(db, prices.pair, now, max_age=LOOKBACK, allow_stale=True)
    if stored is None or stored.price is None or stored.price <= 0:
        return None
    return stored


def judged(stored: StoredPrice | None, prices: PriceSettings, issued: datetime) -> Price | None:
    """The member's price of `stored` at the attestation's `issued` (see the module docstring)."""
    if stored is None or stored.price is None:
        return None
    time = stored.time.replace(microsecond=0)
    age = max_age(prices)
    fresh = stored.status == "fresh" and time <= issued and issued - time <= age
    return Price(
        pair=PAIR,
        price_e8=math.ceil(stored.price * 10**SCALE),
        time=time,
        fresh=fresh,
        source=source_of(prices, stored.kept, stored.sources),
        max_age_seconds=int(age.total_seconds()),
        sources=stored.sources,
        kept=stored.kept,
        min_sources=prices.policy.min_sources,
    )
