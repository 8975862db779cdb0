"""The history chart read model: the ratio, or reserves against supply, from history buckets (templates draw it).

Two series, planned here and drawn by reserves.read.chart_draw. `ratio`: each bucket at its LOWEST
ratio (a dip that recovered inside a bucket must show), optionally the min-max band, and the 100 %
line always in view. `amounts`: reserves at each bucket's lowest and tokens in circulation at its
highest (the conservative side of each), in BTC, from zero. A bucket with no attestation, or (ratio)
with no ratio, breaks the line: nothing is interpolated. The output depends on the input only, and
holds at most MAX_POINTS buckets (finer input is merged, keeping min and max).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reserves.read import chart_axes as axes
from reserves.read.chart_draw import COMPACT, FULL, MAX_POINTS, Chart, Column, Plan, draw, normalise, span_text, when
from reserves.read.display import btc, iso, percent
from reserves.storage.series import Bucket

__all__ = ["AMOUNTS", "FULL_BP", "MAX_POINTS", "RATIO", "SERIES", "Chart", "Row", "build_chart"]

RATIO, AMOUNTS = "ratio", "amounts"
SERIES = (RATIO, AMOUNTS)
FULL_BP = 10_000  # 100 %


@dataclass(frozen=True)
class Row:
    """One bucket as the table shows it: fixed decimals, UTC."""

    start: str  # ISO 8601
    label: str  # "2026-11-22 14:00 UTC"
    points: int
    min_ratio: str
    max_ratio: str
    reserves_btc: str  # lowest in the bucket
    supply_btc: str  # highest in the bucket
    status: str

    @property
    def cells(self) -> tuple[str, ...]:
        return (str(self.points), self.min_ratio, self.max_ratio, self.reserves_btc, self.supply_btc, self.status)


COLUMNS = [
    Column("Attestations"),
    Column("Lowest ratio"),
    Column("Highest ratio"),
    Column("Reserves, lowest (BTC)"),
    Column("Supply, highest (BTC)"),
    Column("Last status", numeric=False),
]
TABLE_NOTE = "Times in UTC, ratios rounded down, amounts in BTC; intervals without an attestation are left out."


def _lower(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _upper(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _merge(a: Bucket, b: Bucket) -> Bucket:
    """a then b (b is newer) as one bucket starting at a's start."""
    return Bucket(
        a.start,
        a.points + b.points,
        _lower(a.min_ratio_bp, b.min_ratio_bp),
        _upper(a.max_ratio_bp, b.max_ratio_bp),
        b.last_ratio_bp,
        min(a.min_reserves_sat, b.min_reserves_sat),
        max(a.max_reserves_sat, b.max_reserves_sat),
        b.last_reserves_sat,
        min(a.min_liabilities_sat, b.min_liabilities_sat),
        max(a.max_liabilities_sat, b.max_liabilities_sat),
        b.last_liabilities_sat,
        b.last_status,
    )


def _around_full(values: list[int]) -> tuple[int, int]:
    """The values' range with 100 % inside it, never on its edge (where the frame would hide its line)."""
    low, high = min([*values, FULL_BP]), max([*values, FULL_BP])
    pad = max(1, (high - low) // 10)
    return (low - pad if low == FULL_BP else low), (high + pad if high == FULL_BP else high)


def _row(b: Bucket) -> Row:
    return Row(
        start=iso(b.start),
        label=when(b.start),
        points=b.points,
        min_ratio=percent(b.min_ratio_bp) or "n/a",
        max_ratio=percent(b.max_ratio_bp) or "n/a",
        reserves_btc=btc(b.min_reserves_sat),
        supply_btc=btc(b.max_liabilities_sat),
        status=b.last_status,
    )


def _ratio(kept: list[Bucket], every: str, span: str, band: bool, max_ticks: int) -> Plan:
    lows = [b.min_ratio_bp for b in kept]
    drawn = [v for v in lows if v is not None]
    if band:
        drawn += [b.max_ratio_bp for b in kept if b.max_ratio_bp is not None]
    axis = axes.value_ticks(*_around_full(drawn), max_ticks)
    ratios = [b for b in kept if b.min_ratio_bp is not None]
    if ratios:
        lowest = min(b.min_ratio_bp for b in ratios if b.min_ratio_bp is not None)
        highest = max(b.max_ratio_bp or 0 for b in ratios)
        desc = (
            f"Lowest {percent(lowest)}, highest {percent(highest)}, "
            f"latest {percent(ratios[-1].last_ratio_bp) or 'n/a'}. The line at 100% marks full backing."
        )
    else:
        desc = "No reserve ratio in this range."
    return Plan(
        series=RATIO,
        lines={"ratio": (f"Lowest ratio per {every}", lows)},
        axis=axis,
        tick_labels=axes.percent_labels(axis[2]),
        y_label="Reserve ratio",
        title=f"Reserve ratio, lowest per {every}, {span}",
        desc=desc,
        rows=[_row(b) for b in kept],
        columns=COLUMNS,
        table_note=TABLE_NOTE,
        empty_text="No attestation in this range",
        band=(lows, [b.max_ratio_bp for b in kept]) if band else None,
        reference=(FULL_BP, "100%"),
    )


def _amounts(kept: list[Bucket], every: str, span: str, max_ticks: int) -> Plan:
    reserves, supply = [b.min_reserves_sat for b in kept], [b.max_liabilities_sat for b in kept]
    axis = axes.value_ticks(0, max([*reserves, *supply], default=0) or axes.SAT_PER_BTC, max_ticks)
    if kept:
        last = kept[-1]
        desc = (
            f"Latest reserves {btc(last.last_reserves_sat)} BTC, "
            f"latest tokens in circulation {btc(last.last_liabilities_sat)} BTC. "
            "Reserves are drawn solid, tokens in circulation dashed."
        )
    else:
        desc = "No attestation in this range."
    return Plan(
        series=AMOUNTS,
        lines={
            "reserves": ("Reserves (lowest)", list(reserves)),
            "supply": ("Tokens in circulation (highest)", list(supply)),
        },
        axis=axis,
        tick_labels=axes.btc_labels(axis[2]),
        y_label="BTC",
        title=f"Reserves (lowest per {every}) and tokens in circulation (highest per {every}) in BTC, {span}",
        desc=desc,
        rows=[_row(b) for b in kept],
        columns=COLUMNS,
        table_note=TABLE_NOTE,
        empty_text="No attestation in this range",
    )


def build_chart(
    buckets: list[Bucket],
    *,
    start: datetime,
    end: datetime,
    bucket_seconds: int,
    series: str = RATIO,
    compact: bool = False,
    band: bool = False,
    chart_id: str = "history-chart",
    min_bucket: int = 0,
) -> Chart:
    """The chart of `buckets` over [start, end) (aligned by the caller: reserves.read.history);
    `min_bucket` merges shorter buckets, so that an interval between two snapshots is no gap."""
    if series not in SERIES:
        raise ValueError(f"series: one of {', '.join(SERIES)}")
    frame = COMPACT if compact else FULL
    kept, size = normalise(buckets, start, end, bucket_seconds, min_bucket, merge=_merge)
    every, span = axes.duration(size), span_text(start, end)
    if series == RATIO:
        plan = _ratio(kept, every, span, band, frame.y_ticks)
    else:
        plan = _amounts(kept, every, span, frame.y_ticks)
    return draw(plan, kept, start=start, end=end, size=size, frame=frame, chart_id=chart_id)
