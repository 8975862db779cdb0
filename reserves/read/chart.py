"""The history chart read model: plot coordinates, axes, lines and a table from history buckets (templates draw it).

Two series. `ratio`: each bucket at its LOWEST ratio (a dip that recovered inside a bucket must
show), optionally the min-max band, and the 100 % line always in view. `amounts`: reserves at each
bucket's lowest and tokens in circulation at its highest (the conservative side of each), in BTC,
from zero. A bucket with no attestation, or (ratio) with no ratio, breaks the line: nothing is
interpolated. Coordinates are in the SVG's own units with one decimal; the output depends on the
input only, and holds at most MAX_POINTS buckets (finer input is merged, keeping min and max).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from reserves.read import chart_axes as axes
from reserves.read.display import btc, iso, percent
from reserves.storage.series import Bucket

RATIO, AMOUNTS = "ratio", "amounts"
SERIES = (RATIO, AMOUNTS)
MAX_POINTS = 2000
FULL_BP = 10_000  # 100 %
FONT = 16  # px in the SVG's units: at least ~13 px on the narrowest frame (portal.css)
CHAR = 9.6  # an estimate of one digit's width at FONT
INK, GRID, REFERENCE = "#1b1b1f", "#d4d4d8", "#5f6368"
# Line colours on white, each at least 4.5:1 (WCAG AA for text, well above 3:1 for graphics).
COLOURS = {"ratio": "#1a4f9c", "reserves": "#0a6b2b", "supply": "#7a2e8c"}
DASHES = {"ratio": None, "reserves": None, "supply": "9 5"}
MARKERS = {"ratio": "circle", "reserves": "circle", "supply": "square"}  # a lone bucket's dot, told apart by shape


@dataclass(frozen=True)
class Frame:
    width: int
    height: int
    top: int
    bottom: int  # margin under the plot, for the time labels
    right: int
    x_ticks: int
    y_ticks: int


FULL = Frame(width=800, height=390, top=56, bottom=34, right=32, x_ticks=8, y_ticks=7)
COMPACT = Frame(width=800, height=240, top=56, bottom=34, right=32, x_ticks=6, y_ticks=4)


@dataclass(frozen=True)
class Tick:
    pos: float  # x (time ticks) or y (value ticks)
    label: str
    label_pos: float  # where its label sits along the same axis (value labels: the text's baseline)


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int


@dataclass(frozen=True)
class Line:
    """One series: a polyline per unbroken run of buckets, a dot for a bucket alone between gaps."""

    name: str
    label: str
    colour: str
    dash: str | None
    marker: str  # the dots' shape: circle or square
    paths: list[str]
    dots: list[tuple[float, float]]


@dataclass(frozen=True)
class LegendItem:
    x: int
    y: int
    label: str
    colour: str
    dash: str | None
    marker: str | None = None  # the line's dot shape, drawn on its sample
    band: bool = False


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


@dataclass(frozen=True)
class Chart:
    id: str  # unique on its page: prefixes the SVG's element ids
    series: str
    title: str
    desc: str
    width: int
    height: int
    plot: Box
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    y_label: str
    reference: Tick | None  # the 100 % line (ratio)
    lines: list[Line]
    band: list[str]  # min-max polygons (ratio, when asked)
    legend: list[LegendItem]
    rows: list[Row]
    start: str
    end: str
    bucket_seconds: int
    gaps: int  # breaks in the line

    @property
    def empty(self) -> bool:
        return not self.rows


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


def normalise(
    buckets: list[Bucket], start: datetime, end: datetime, bucket_seconds: int, min_bucket: int = 0
) -> tuple[list[Bucket], int]:
    """The buckets inside [start, end), in time order, one per start, and the bucket size: merged
    into whole multiples (min and max kept) when the range would hold more than MAX_POINTS, or
    when they are shorter than `min_bucket`."""
    size = max(1, bucket_seconds)
    count = math.ceil((end - start).total_seconds() / size)
    size *= max(1, math.ceil(count / MAX_POINTS), math.ceil(min_bucket / size))
    out: dict[int, Bucket] = {}
    for b in sorted((b for b in buckets if start <= b.start < end), key=lambda b: b.start):
        key = int((b.start - start).total_seconds() // size)
        moved = dataclasses.replace(b, start=start + timedelta(seconds=key * size))
        out[key] = _merge(out[key], moved) if key in out else moved
    return [out[k] for k in sorted(out)], size


def _runs(buckets: list[Bucket], values: list[int | None], size: int) -> list[list[tuple[Bucket, int]]]:
    """Unbroken runs of (bucket, value): a missing bucket or a None value ends a run."""
    runs: list[list[tuple[Bucket, int]]] = []
    previous: datetime | None = None
    for b, v in zip(buckets, values):
        if v is None:
            previous = None
            continue
        if previous is None or (b.start - previous).total_seconds() != size:
            runs.append([])
        runs[-1].append((b, v))
        previous = b.start
    return runs


class _Scale:
    def __init__(self, plot: Box, start: datetime, end: datetime, size: int, low: int, high: int):
        self.plot, self.start, self.size = plot, start, size
        self.span = max(1.0, (end - start).total_seconds())
        self.low, self.high = low, high

    def x_at(self, moment: datetime) -> float:
        share = min(1.0, max(0.0, (moment - self.start).total_seconds() / self.span))
        return round(self.plot.left + share * (self.plot.right - self.plot.left), 1)

    def x(self, b: Bucket) -> float:
        return self.x_at(b.start + timedelta(seconds=self.size / 2))

    def y(self, v: int) -> float:
        share = min(1.0, max(0.0, (self.high - v) / (self.high - self.low)))
        return round(self.plot.top + share * (self.plot.bottom - self.plot.top), 1)


def _line(name: str, label: str, runs: list[list[tuple[Bucket, int]]], scale: _Scale) -> Line:
    paths, dots = [], []
    for run in runs:
        pts = [(scale.x(b), scale.y(v)) for b, v in run]
        if len(pts) == 1:
            dots.append(pts[0])
        else:
            paths.append(" ".join(f"{x:.1f},{y:.1f}" for x, y in pts))
    return Line(name, label, COLOURS[name], DASHES[name], MARKERS[name], paths, dots)


def _band(runs: list[list[tuple[Bucket, int]]], scale: _Scale) -> list[str]:
    out = []
    for run in runs:
        if len(run) > 1:
            upper = [(scale.x(b), scale.y(b.max_ratio_bp or v)) for b, v in run]
            lower = [(scale.x(b), scale.y(v)) for b, v in reversed(run)]
            out.append(" ".join(f"{x:.1f},{y:.1f}" for x, y in upper + lower))
    return out


def _around_full(values: list[int]) -> tuple[int, int]:
    """The values' range with 100 % inside it, never on its edge (where the frame would hide its line)."""
    low, high = min([*values, FULL_BP]), max([*values, FULL_BP])
    pad = max(1, (high - low) // 10)
    return (low - pad if low == FULL_BP else low), (high + pad if high == FULL_BP else high)


def _x_tick(x: float, label: str) -> Tick:
    return Tick(x, label, x)


def _y_tick(y: float, label: str) -> Tick:
    return Tick(y, label, round(y + 5, 1))  # the baseline that centres a digit on the line


def _row(b: Bucket) -> Row:
    label = iso(b.start).replace("T", " ")[:16] + " UTC"
    return Row(
        start=iso(b.start),
        label=label,
        points=b.points,
        min_ratio=percent(b.min_ratio_bp) or "n/a",
        max_ratio=percent(b.max_ratio_bp) or "n/a",
        reserves_btc=btc(b.min_reserves_sat),
        supply_btc=btc(b.max_liabilities_sat),
        status=b.last_status,
    )


Entry = tuple[str, str, str | None, str | None, bool]  # label, colour, dash, marker, band


def _legend(plot: Box, items: list[Entry]) -> list[LegendItem]:
    out, x = [], plot.left
    for label, colour, dash, marker, band in items:
        out.append(LegendItem(x, FONT + 4, label, colour, dash, marker, band))
        x = int(x + 64 + CHAR * len(label) * 0.9)
    return out


Plotted = dict[str, list[int | None]]


def _values(series: str, kept: list[Bucket], band: bool, max_ticks: int) -> tuple[Plotted, tuple, list[str]]:
    """What each line draws per bucket, the value axis (low, high, ticks) and its labels."""
    plotted: Plotted
    if series == RATIO:
        plotted = {"ratio": [b.min_ratio_bp for b in kept]}
        drawn = [v for v in plotted["ratio"] if v is not None]
        if band:
            drawn += [b.max_ratio_bp for b in kept if b.max_ratio_bp is not None]
        axis = axes.value_ticks(*_around_full(drawn), max_ticks)
        return plotted, axis, axes.percent_labels(axis[2])
    plotted = {"reserves": [b.min_reserves_sat for b in kept], "supply": [b.max_liabilities_sat for b in kept]}
    top = max([v for vs in plotted.values() for v in vs if v is not None], default=0)
    axis = axes.value_ticks(0, top or axes.SAT_PER_BTC, max_ticks)
    return plotted, axis, axes.btc_labels(axis[2])


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
    kept, size = normalise(buckets, start, end, bucket_seconds, min_bucket)
    plotted, (low, high, ticks), labels = _values(series, kept, band, frame.y_ticks)
    left = max(56, 14 + CHAR * max(len(s) for s in labels))
    plot = Box(int(left), frame.top, frame.width - frame.right, frame.height - frame.bottom)
    scale = _Scale(plot, start, end, size, low, high)
    runs = {name: _runs(kept, values, size) for name, values in plotted.items()}
    texts = _texts(series, kept, size, start, end, runs)
    lines = [_line(name, texts["labels"][name], r, scale) for name, r in runs.items()]
    legend_items: list[Entry] = [(ln.label, ln.colour, ln.dash, ln.marker, False) for ln in lines]
    if series == RATIO and band:
        legend_items.append(("Highest to lowest in the interval", COLOURS["ratio"], None, None, True))
    return Chart(
        id=chart_id,
        series=series,
        title=texts["title"],
        desc=texts["desc"],
        width=frame.width,
        height=frame.height,
        plot=plot,
        x_ticks=[_x_tick(scale.x_at(t.at), t.label) for t in axes.time_ticks(start, end, frame.x_ticks)],
        y_ticks=[_y_tick(scale.y(v), s) for v, s in zip(ticks, labels)],
        y_label="Reserve ratio" if series == RATIO else "BTC",
        reference=Tick(scale.y(FULL_BP), "100%", round(scale.y(FULL_BP) - 6, 1)) if series == RATIO else None,
        lines=lines,
        band=_band(runs["ratio"], scale) if series == RATIO and band else [],
        legend=_legend(plot, legend_items),
        rows=[_row(b) for b in kept],
        start=iso(start),
        end=iso(end),
        bucket_seconds=size,
        gaps=_breaks(runs),
    )


def _breaks(runs: dict) -> int:
    """Breaks in the line (the amounts' two lines break together)."""
    return max((len(r) - 1 for r in runs.values() if r), default=0)


def _when(moment: datetime) -> str:
    return iso(moment).replace("T", " ")[:16] + " UTC"


def _texts(series: str, kept: list[Bucket], size: int, start: datetime, end: datetime, runs: dict) -> dict:
    """The title, the description a screen reader reads, and the legend's labels."""
    every = axes.duration(size)
    span = f"from {_when(start)} to {_when(end)}"
    if series == RATIO:
        title = f"Reserve ratio, lowest per {every}, {span}"
        labels = {"ratio": f"Lowest ratio per {every}"}
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
    else:
        title = f"Reserves (lowest per {every}) and tokens in circulation (highest per {every}) in BTC, {span}"
        labels = {"reserves": "Reserves (lowest)", "supply": "Tokens in circulation (highest)"}
        if kept:
            last = kept[-1]
            desc = (
                f"Latest reserves {btc(last.last_reserves_sat)} BTC, "
                f"latest tokens in circulation {btc(last.last_liabilities_sat)} BTC. "
                "Reserves are drawn solid, tokens in circulation dashed."
            )
        else:
            desc = "No attestation in this range."
    breaks = _breaks(runs)
    if breaks:
        desc += f" The line breaks {breaks} time{'s' if breaks != 1 else ''} where an interval has no data."
    return {"title": title, "desc": desc, "labels": labels}
