"""The price read models: the newest round with every source's verdict, its history, USD values.

JSON and pages are built from the same views (`latest`, `history`), so they never disagree. The
newest round is `stale` when the round itself says so, and also when no round was stored for
three intervals (at least 60 s): a stopped job never leaves a "fresh" price up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from reserves.errors import NotFound
from reserves.prices.aggregate import SCALE
from reserves.read import history as history_mod
from reserves.read.chart_draw import Chart
from reserves.read.display import iso
from reserves.read.history_chart import chosen_range, range_window
from reserves.read.price_chart import build_price_chart
from reserves.settings.model import PriceSettings
from reserves.storage import price_series
from reserves.storage.db import Database

UNIT = 10**SCALE
SAT_PER_BTC = 10**8
DEFAULT_RANGE = "day"


def price_text(e8: int | None) -> str | None:
    """`price_e8` as a decimal string with exactly SCALE decimals ("67012.50000000")."""
    return None if e8 is None else f"{e8 // UNIT}.{e8 % UNIT:0{SCALE}d}"


def usd_cents(amount_sat: int, price_e8: int) -> int:
    """The value of `amount_sat` at `price_e8`, in cents of the quote currency, floored."""
    return amount_sat * price_e8 // (SAT_PER_BTC * UNIT // 100)


def money(cents: int) -> str:
    """12345678 -> "123,456.78"."""
    return f"{cents // 100:,}.{cents % 100:02d}"


@dataclass(frozen=True)
class PriceLine:
    """The overview's line: the price now and what the reserves and supply are worth at it."""

    pair: str
    price: str | None
    status: str
    reason: str | None
    age_seconds: int | None
    reserves: str | None = None
    supply: str | None = None


@dataclass
class PricesView:
    """GET /api/v1/prices/latest and the /prices page (`enabled` false: no source configured): the
    newest round, the last day by hour, and the chart of the chosen range (`range`, one of
    reserves.read.history_chart.RANGES) with the query of /api/v1/prices/history giving its buckets."""

    enabled: bool
    pair: str
    body: dict[str, Any] | None = None
    buckets: list[dict[str, Any]] = field(default_factory=list)
    range: str = DEFAULT_RANGE
    chart: Chart | None = None
    api_query: str | None = None


class PriceService:
    """Reads stored rounds; never calls a price source."""

    def __init__(self, db: Database, settings: PriceSettings) -> None:
        self.db, self.settings = db, settings
        self.stale_after = max(3 * settings.interval_seconds, 60.0)

    async def latest(self, now: datetime | None = None) -> dict[str, Any]:
        """The newest round as JSON; NotFound when the feature is off or before the first round."""
        if not self.settings.enabled:
            raise NotFound("prices: no price source is configured")
        now = now or datetime.now(timezone.utc)
        async with self.db.sessions() as session:
            row = await price_series.latest(session, self.settings.pair)
            if row is None:
                raise NotFound("prices: no round stored yet")
            verdicts = await price_series.verdicts(session, row.pair, row.time)
        time = price_series.as_utc(row.time)
        age = max(0, int((now - time).total_seconds()))
        status, reason = row.status, row.reason
        if age > self.stale_after:
            status, reason = "stale", "no_recent_round"
        p = self.settings.policy
        return {
            "pair": row.pair,
            "price": price_text(None if row.price_e8 is None else int(row.price_e8)),
            "price_e8": None if row.price_e8 is None else str(row.price_e8),
            "scale": SCALE,
            "median": row.price,
            "time": iso(time),
            "age_seconds": age,
            "status": status,
            "reason": reason,
            "sources_kept": row.kept,
            "sources_total": row.sources,
            "policy": {
                "deviation_bp": p.deviation_bp,
                "min_sources": p.min_sources,
                "heartbeat_seconds": p.heartbeat_seconds,
                "max_age_seconds": p.max_age_seconds,
                "min_price": str(p.min_price),
                "max_price": str(p.max_price),
            },
            "sources": [
                {
                    "name": v.source,
                    "kind": v.kind,
                    "value": v.value,
                    "time": iso(v.observed_at),
                    "kept": v.kept,
                    "reason": v.reason,
                    "detail": v.detail or None,
                    "unchanged_since": iso(v.since),
                }
                for v in verdicts
            ],
        }

    async def history(
        self, *, start: datetime | None, end: datetime | None, bucket_seconds: int | None, now: datetime | None = None
    ) -> dict[str, Any]:
        """Buckets of rounds (count, fresh count, min/max/last price_e8); the range rules of /api/v1/history."""
        if not self.settings.enabled:
            raise NotFound("prices: no price source is configured")
        start, end, bucket = history_mod.check_range(start, end, bucket_seconds, now or datetime.now(timezone.utc))
        async with self.db.sessions() as session:
            buckets = await price_series.history(
                session, self.settings.pair, start=start, end=end, bucket_seconds=bucket
            )
        source = price_series.source_for(bucket)
        return {
            "pair": self.settings.pair,
            "scale": SCALE,
            "from": iso(start),
            "to": iso(end),
            "bucket_seconds": bucket,
            "source": "raw" if source is None else f"rollup_{source}s",
            "points": [
                {
                    "start": iso(b.start),
                    "rounds": b.rounds,
                    "fresh": b.fresh,
                    "min_price_e8": None if b.min_e8 is None else str(b.min_e8),
                    "max_price_e8": None if b.max_e8 is None else str(b.max_e8),
                    "last_price_e8": None if b.last_e8 is None else str(b.last_e8),
                    "last_price": price_text(b.last_e8),
                    "last_status": b.last_status,
                }
                for b in buckets
            ],
        }

    async def page(self, range_name: str = DEFAULT_RANGE, now: datetime | None = None) -> PricesView:
        """The /prices page: the newest round, the last day in hourly buckets (newest first) and the
        chart of the range `range_name`; InvalidInput for an unknown range."""
        chosen = chosen_range(range_name)
        pair = self.settings.pair
        if not self.settings.enabled:
            return PricesView(False, pair, range=range_name)
        now = now or datetime.now(timezone.utc)
        try:
            body = await self.latest(now)
        except NotFound:
            return PricesView(True, pair, range=range_name)
        day = await self.history(start=now - timedelta(days=1), end=None, bucket_seconds=3600, now=now)
        async with self.db.sessions() as session:
            first = await price_series.first_round(session, pair) if chosen.span is None else None
            start, end, bucket = range_window(chosen, first, now=now, interval_seconds=self.settings.interval_seconds)
            buckets = await price_series.history(session, pair, start=start, end=end, bucket_seconds=bucket)
        chart = build_price_chart(buckets, pair=pair, start=start, end=end, bucket_seconds=bucket)
        query = f"from={iso(start)}&to={iso(end)}&bucket={bucket}"
        return PricesView(True, pair, body, list(reversed(day["points"])), range_name, chart, query)

    async def line(self, reserves_sat: str | None, supply_sat: str | None) -> PriceLine | None:
        """The overview's line; None when the feature is off or no round is stored yet."""
        try:
            body = await self.latest()
        except NotFound:
            return None
        e8 = None if body["price_e8"] is None else int(body["price_e8"])

        def worth(sat: str | None) -> str | None:
            return None if e8 is None or sat is None else money(usd_cents(int(sat), e8))

        return PriceLine(
            body["pair"],
            None if e8 is None else money(e8 // (UNIT // 100)),  # to the cent, floored, grouped
            body["status"],
            body["reason"],
            body["age_seconds"],
            worth(reserves_sat),
            worth(supply_sat),
        )
