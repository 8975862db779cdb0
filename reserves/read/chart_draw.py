"""Drawing a chart of time buckets, whatever the series: plot coordinates, axes, lines, band, legend, table.

A series module plans its buckets (reserves.read.chart: ratio and amounts; reserves.read.price_chart:
the median price) into a `Plan`: what each line draws per bucket, the value axis and its labels,
the texts and the table. `draw` turns a plan into a `Chart` the template pages/_chart.html draws.
A bucket with no value breaks its line: nothing is interpolated. Coordinates are in the SVG's own
units with one decimal, clamped to the plot; the output depends on the input only, and holds at most
MAX_POINTS buckets (`normalise` merges finer input, keeping min and max).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from reserves.read import chart_axes as axes
from reserves.read.display import iso

MAX_POINTS = 2000
FONT = 16  # px in the SVG's units: at least ~13 px on the narrowest frame (portal.css)
CHAR = 9.6  # an estimate of one digit's width at FONT
INK, GRID, REFERENCE = "#1b1b1f", "#d4d4d8", "#5f6368"
# Line colours on white, each at least 4.5:1 (WCAG AA for text, well above 3:1 for graphics).
COLOURS = {"ratio": "#1a4f9c", "reserves": "#0a6b2b", "supply": "#7a2e8c", "price": "#1a4f9c"}
DASHES = {"ratio": None, "reserves": None, "supply": "9 5", "price": None}
MARKERS = {"ratio": "circle", "reserves": "circle", "supply": "square", "price": "circle"}  # a lone bucket's dot


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


class Timed(Protocol):
    """A bucket of any series: what the drawing needs of it is where it starts."""

    @property
    def start(self) -> datetime: ...


class TableRow(Protocol):
    """One bucket as the table shows it: its start (ISO 8601), its label (UTC) and the cells of `Chart.columns`."""

    @property
    def start(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def cells(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Column:
    """A column of the table after the interval's start: its header, and whether it holds figures (right-aligned)."""

    header: str
    numeric: bool = True


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
    reference: Tick | None  # a reference line across the plot (the ratio's 100 %)
    lines: list[Line]
    band: list[str]  # lowest-to-highest polygons behind the first line (when asked)
    legend: list[LegendItem]
    rows: Sequence[TableRow]
    columns: list[Column]
    table_note: str  # the table caption's second sentence: units, rounding, what is left out
    empty_text: str  # written across an empty plot
    start: str
    end: str
    bucket_seconds: int
    gaps: int  # breaks in the line

    @property
    def empty(self) -> bool:
        return not self.rows


@dataclass(frozen=True)
class Plan:
    """One series over its merged buckets, ready to draw. `lines`: per line, its legend label and a
    value per bucket (None breaks the line); `band`: a lower and an upper edge per bucket, drawn
    behind the first line; `axis`: (low end, high end, tick values) with a label per tick;
    `desc` is completed by `draw` with the breaks in the line."""

    series: str
    lines: dict[str, tuple[str, list[int | None]]]
    axis: tuple[int, int, list[int]]
    tick_labels: list[str]
    y_label: str
    title: str
    desc: str
    rows: Sequence[TableRow]
    columns: list[Column]
    table_note: str
    empty_text: str
    band: tuple[list[int | None], list[int | None]] | None = None
    band_label: str = "Highest to lowest in the interval"
    reference: tuple[int, str] | None = None  # (value, label) of a reference line


B = TypeVar("B", bound=Timed)
V = TypeVar("V")


def normalise(
    buckets: Sequence[B],
    start: datetime,
    end: datetime,
    bucket_seconds: int,
    min_bucket: int = 0,
    *,
    merge: Callable[[B, B], B],
) -> tuple[list[B], int]:
    """The buckets (dataclasses) inside [start, end), in time order, one per start, and the bucket size:
    merged by `merge(older, newer)` into whole multiples (min and max kept) when the range would hold
    more than MAX_POINTS, or when they are shorter than `min_bucket`."""
    size = max(1, bucket_seconds)
    count = math.ceil((end - start).total_seconds() / size)
    size *= max(1, math.ceil(count / MAX_POINTS), math.ceil(min_bucket / size))
    out: dict[int, B] = {}
    for b in sorted((b for b in buckets if start <= b.start < end), key=lambda b: b.start):
        key = int((b.start - start).total_seconds() // size)
        moved = dataclasses.replace(b, start=start + timedelta(seconds=key * size))  # type: ignore[type-var]
        out[key] = merge(out[key], moved) if key in out else moved
    return [out[k] for k in sorted(out)], size


def _runs(buckets: Sequence[B], values: Sequence[V | None], size: int) -> list[list[tuple[B, V]]]:
    """Unbroken runs of (bucket, value): a missing bucket or a None value ends a run."""
    runs: list[list[tuple[B, V]]] = []
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

    def x(self, b: Timed) -> float:
        return self.x_at(b.start + timedelta(seconds=self.size / 2))

    def y(self, v: int) -> float:
        share = min(1.0, max(0.0, (self.high - v) / (self.high - self.low)))
        return round(self.plot.top + share * (self.plot.bottom - self.plot.top), 1)


def _line(name: str, label: str, runs: list[list[tuple[B, int]]], scale: _Scale) -> Line:
    paths, dots = [], []
    for run in runs:
        pts = [(scale.x(b), scale.y(v)) for b, v in run]
        if len(pts) == 1:
            dots.append(pts[0])
        else:
            paths.append(" ".join(f"{x:.1f},{y:.1f}" for x, y in pts))
    return Line(name, label, COLOURS[name], DASHES[name], MARKERS[name], paths, dots)


def _band(kept: Sequence[B], lower: list[int | None], upper: list[int | None], size: int, scale: _Scale) -> list[str]:
    """A polygon per unbroken run of buckets with a lower edge (an upper edge missing: the lower one)."""
    edges = [None if lo is None else (lo, lo if hi is None else hi) for lo, hi in zip(lower, upper)]
    out = []
    for run in _runs(kept, edges, size):
        if len(run) > 1:
            top = [(scale.x(b), scale.y(hi)) for b, (_, hi) in run]
            bottom = [(scale.x(b), scale.y(lo)) for b, (lo, _) in reversed(run)]
            out.append(" ".join(f"{x:.1f},{y:.1f}" for x, y in top + bottom))
    return out


def _x_tick(x: float, label: str) -> Tick:
    return Tick(x, label, x)


def _y_tick(y: float, label: str) -> Tick:
    return Tick(y, label, round(y + 5, 1))  # the baseline that centres a digit on the line


Entry = tuple[str, str, str | None, str | None, bool]  # label, colour, dash, marker, band


def _legend(plot: Box, items: list[Entry]) -> list[LegendItem]:
    out, x = [], plot.left
    for label, colour, dash, marker, band in items:
        out.append(LegendItem(x, FONT + 4, label, colour, dash, marker, band))
        x = int(x + 64 + CHAR * len(label) * 0.9)
    return out


def _breaks(runs: dict) -> int:
    """Breaks in the line (several lines of one series break together)."""
    return max((len(r) - 1 for r in runs.values() if r), default=0)


def when(moment: datetime) -> str:
    """A bucket's start for people: "2026-11-22 14:00 UTC"."""
    return iso(moment).replace("T", " ")[:16] + " UTC"


def span_text(start: datetime, end: datetime) -> str:
    return f"from {when(start)} to {when(end)}"


def draw(
    plan: Plan, kept: Sequence[B], *, start: datetime, end: datetime, size: int, frame: Frame, chart_id: str
) -> Chart:
    """The chart of `plan` over [start, end), its buckets `kept` (normalised, `size` seconds each) in `frame`."""
    low, high, ticks = plan.axis
    left = max(56, 14 + CHAR * max(len(s) for s in plan.tick_labels))
    plot = Box(int(left), frame.top, frame.width - frame.right, frame.height - frame.bottom)
    scale = _Scale(plot, start, end, size, low, high)
    runs = {name: _runs(kept, values, size) for name, (_, values) in plan.lines.items()}
    lines = [_line(name, plan.lines[name][0], r, scale) for name, r in runs.items()]
    legend_items: list[Entry] = [(ln.label, ln.colour, ln.dash, ln.marker, False) for ln in lines]
    band: list[str] = []
    if plan.band is not None:
        band = _band(kept, *plan.band, size, scale)
        legend_items.append((plan.band_label, lines[0].colour, None, None, True))
    breaks = _breaks(runs)
    desc = plan.desc
    if breaks:
        desc += f" The line breaks {breaks} time{'s' if breaks != 1 else ''} where an interval has no data."
    reference = None
    if plan.reference is not None:
        at = scale.y(plan.reference[0])
        reference = Tick(at, plan.reference[1], round(at - 6, 1))
    return Chart(
        id=chart_id,
        series=plan.series,
        title=plan.title,
        desc=desc,
        width=frame.width,
        height=frame.height,
        plot=plot,
        x_ticks=[_x_tick(scale.x_at(t.at), t.label) for t in axes.time_ticks(start, end, frame.x_ticks)],
        y_ticks=[_y_tick(scale.y(v), s) for v, s in zip(ticks, plan.tick_labels)],
        y_label=plan.y_label,
        reference=reference,
        lines=lines,
        band=band,
        legend=_legend(plot, legend_items),
        rows=plan.rows,
        columns=plan.columns,
        table_note=plan.table_note,
        empty_text=plan.empty_text,
        start=iso(start),
        end=iso(end),
        bucket_seconds=size,
        gaps=breaks,
    )
