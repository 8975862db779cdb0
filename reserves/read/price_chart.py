"""The price chart read model: a pair's median price over time, from price buckets, drawn by the history's chart code.

Each bucket is drawn at its LAST median (the newest round's), inside the band of its lowest to
highest median; a bucket without a round, or whose rounds have no median (too few sources), breaks
the line: nothing is interpolated. Prices are price_e8 integers (reserves.prices.aggregate.SCALE
decimals), labelled in the quote currency ("67,000 USD") without floats. The table lists every
bucket with its rounds, exact lowest, highest and last median, and last status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reserves.prices.aggregate import SCALE
from reserves.read import chart_axes as axes
from reserves.read.chart_draw import FULL, Chart, Column, Plan, draw, normalise, span_text, when
from reserves.read.display import iso, token_units
from reserves.storage.price_series import PriceBucket

PRICE = "price"
UNIT = 10**SCALE


@dataclass(frozen=True)
class PriceRow:
    """One bucket as the table shows it: exact medians in the quote currency, UTC."""

    start: str  # ISO 8601
    label: str  # "2026-11-22 14:00 UTC"
    rounds: int
    fresh: int
    lowest: str
    highest: str
    last: str
    status: str

    @property
    def cells(self) -> tuple[str, ...]:
        return (str(self.rounds), str(self.fresh), self.lowest, self.highest, self.last, self.status)


def _least(a: int | None, b: int | None) -> int | None:
    return min((v for v in (a, b) if v is not None), default=None)


def _greatest(a: int | None, b: int | None) -> int | None:
    return max((v for v in (a, b) if v is not None), default=None)


def merge(a: PriceBucket, b: PriceBucket) -> PriceBucket:
    """a then b (b is newer) as one bucket starting at a's start: counts added, min and max kept, b's last."""
    return PriceBucket(
        a.start,
        a.rounds + b.rounds,
        a.fresh + b.fresh,
        _least(a.min_e8, b.min_e8),
        _greatest(a.max_e8, b.max_e8),
        b.last_e8,
        b.last_status,
    )


def _price(e8: int | None) -> str:
    """price_e8 as an exact decimal, thousands grouped ("67,012.50000000"); "n/a" without a median."""
    return "n/a" if e8 is None else token_units(e8, SCALE) or "n/a"


def _row(b: PriceBucket) -> PriceRow:
    low, high, last = _price(b.min_e8), _price(b.max_e8), _price(b.last_e8)
    return PriceRow(iso(b.start), when(b.start), b.rounds, b.fresh, low, high, last, b.last_status)


def _plan(kept: list[PriceBucket], pair: str, every: str, span: str, max_ticks: int) -> Plan:
    base, _, quote = pair.partition("/")
    lasts = [b.last_e8 for b in kept]
    lows, highs = [b.min_e8 for b in kept], [b.max_e8 for b in kept]
    drawn = [v for v in (*lasts, *lows, *highs) if v is not None]
    axis = axes.value_ticks(min(drawn, default=0), max(drawn, default=UNIT), max_ticks)
    latest = next((v for v in reversed(lasts) if v is not None), None)
    if drawn:
        desc = "" if latest is None else f"Latest {_price(latest)} {quote}, "
        desc += f"lowest {_price(min(drawn))} {quote}, highest {_price(max(drawn))} {quote}."
        desc = desc[0].upper() + desc[1:]
    else:
        desc = f"No {pair} median in this range."
    return Plan(
        series=PRICE,
        lines={PRICE: (f"Last median per {every}", lasts)},
        axis=axis,
        tick_labels=[f"{s} {quote}" for s in axes.decimal_labels(axis[2], SCALE)],
        y_label=f"{quote} per {base}",
        title=f"{pair} median price, last per {every} and lowest to highest, {span}",
        desc=desc,
        rows=[_row(b) for b in kept],
        columns=[
            Column("Rounds"),
            Column("Fresh"),
            Column(f"Lowest ({quote})"),
            Column(f"Highest ({quote})"),
            Column(f"Last ({quote})"),
            Column("Last status", numeric=False),
        ],
        table_note=f"Times in UTC, exact medians in {quote} per {base}; intervals without a round are left out.",
        empty_text="No price in this range",
        band=(lows, highs),
        band_label="Lowest to highest in the interval",
    )


def build_price_chart(
    buckets: list[PriceBucket],
    *,
    pair: str,
    start: datetime,
    end: datetime,
    bucket_seconds: int,
    chart_id: str = "price-chart",
) -> Chart:
    """The chart of `pair`'s price `buckets` over [start, end) (aligned by the caller: reserves.read.history)."""
    kept, size = normalise(buckets, start, end, bucket_seconds, merge=merge)
    plan = _plan(kept, pair, axes.duration(size), span_text(start, end), FULL.y_ticks)
    return draw(plan, kept, start=start, end=end, size=size, frame=FULL, chart_id=chart_id)
