"""The price of a pair at a moment, for Python callers (collateral valuation, issue 15's providers).

    price = await price_at(db, "BTC/USD", snapshot_time)
    if price is not None:                       # fresh, at most `max_age` before the moment
        value_e8 = amount_sat * price.price_e8 // 10**8   # quote units x 10**8, floored

`price_e8` is floor(median x 10**8): quote units per base unit with 8 decimals (SCALE), the same
integer the API serves as `price_e8` and the history's buckets hold. A stale round (too few sources
kept) is never returned unless `allow_stale`: a value built on it would claim what no quorum said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from reserves.prices.aggregate import SCALE
from reserves.storage import price_series
from reserves.storage.db import Database


@dataclass(frozen=True)
class StoredPrice:
    """One stored round: `price_e8` (10**-SCALE quote units; None when no source was kept), the exact
    median `price`, its `time`, `status` ("fresh" or "stale") and the stale `reason`."""

    pair: str
    time: datetime
    price_e8: int | None
    price: Decimal | None
    status: str
    reason: str | None
    sources: int
    kept: int
    scale: int = SCALE


async def price_at(
    db: Database,
    pair: str,
    at: datetime,
    *,
    max_age: timedelta = timedelta(minutes=10),
    allow_stale: bool = False,
) -> StoredPrice | None:
    """The newest round of `pair` at or before `at` and no older than `max_age` before it; None when
    there is none, or when it is stale and `allow_stale` is false."""
    async with db.sessions() as session:
        row = await price_series.latest(session, pair, at)
    if row is None:
        return None
    stored = StoredPrice(
        pair=row.pair,
        time=price_series.as_utc(row.time),
        price_e8=None if row.price_e8 is None else int(row.price_e8),
        price=None if row.price is None else Decimal(row.price),
        status=row.status,
        reason=row.reason,
        sources=row.sources,
        kept=row.kept,
    )
    if at - stored.time > max_age or (stored.status != "fresh" and not allow_stale):
        return None
    return stored
