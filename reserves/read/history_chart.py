"""The history page's ranges (a day to all) as charts, and the overview's compact chart from the dashboard's buckets.

The ranges and their windows serve the /prices page's chart too (reserves.read.prices).

Each range has a fixed span and bucket, read as /api/v1/history reads them (reserves.read.history:
raw points up to a week, hourly and daily rollups beyond), so the page's JSON link gives the same
buckets. A bucket is never shorter than two snapshot intervals: an empty bucket then means a
missed snapshot, and the line breaks there, instead of breaking between every two snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from reserves.errors import InvalidInput
from reserves.read import chart as chart_mod
from reserves.read import history as history_mod
from reserves.read.chart import Chart
from reserves.read.display import iso
from reserves.storage import series
from reserves.storage.db import Database

DAY = 86400


@dataclass(frozen=True)
class Range:
    label: str
    span: timedelta | None  # None: from the first stored point
    bucket_seconds: int | None  # None: the history's nice size for the span


RANGES = {
    "day": Range("Day", timedelta(days=1), 300),
    "week": Range("Week", timedelta(days=7), 3600),
    "month": Range("Month", timedelta(days=30), 4 * 3600),
    "year": Range("Year", timedelta(days=365), DAY),
    "all": Range("All", None, None),
}
DEFAULT_RANGE = "month"
SERIES_LABELS = {chart_mod.RATIO: "Reserve ratio", chart_mod.AMOUNTS: "Reserves and supply"}


@dataclass(frozen=True)
class HistoryChart:
    """A range's chart and the query of /api/v1/history that returns its buckets as JSON."""

    range: str
    series: str
    chart: Chart
    api_query: str  # "from=...&to=...&bucket=..."


def floor_bucket(interval_seconds: float) -> int:
    """The smallest nice bucket of at least two snapshot intervals."""
    need = 2 * interval_seconds
    return next((b for b in history_mod.NICE if b >= need), history_mod.MAX_BUCKET)


def chosen_range(range_name: str) -> Range:
    """The Range named `range_name`; InvalidInput for any other name."""
    chosen = RANGES.get(range_name)
    if chosen is None:
        raise InvalidInput(f"range: one of {', '.join(RANGES)}")
    return chosen


def range_window(
    chosen: Range, first: datetime | None, *, now: datetime, interval_seconds: float
) -> tuple[datetime, datetime, int]:
    """(start, end, bucket) of `chosen` ending now, aligned as /api/v1/history aligns them; `first`
    (the first stored day, read only for `all`) starts the range `all`; `interval_seconds` is the
    interval of the series' points (a bucket holds at least two)."""
    if chosen.span is None:
        start = min(first or now - timedelta(days=1), now - timedelta(minutes=1))
        bucket = history_mod.nice_bucket((now - start).total_seconds())
    else:
        start, bucket = now - chosen.span, chosen.bucket_seconds or DAY
    start = max(start, history_mod.TIME_FLOOR)
    bucket = max(bucket, floor_bucket(interval_seconds))
    return history_mod.check_range(start, None, bucket, now)


async def range_chart(
    db: Database, range_name: str, series_name: str, *, now: datetime, interval_seconds: float
) -> HistoryChart:
    """The chart of one named range ending now; InvalidInput for an unknown range or series."""
    chosen = chosen_range(range_name)
    if series_name not in chart_mod.SERIES:
        raise InvalidInput(f"series: one of {', '.join(chart_mod.SERIES)}")
    async with db.sessions() as session:
        first = await series.first_day(session) if chosen.span is None else None
        start, end, bucket = range_window(chosen, first, now=now, interval_seconds=interval_seconds)
        buckets = await series.history(session, start=start, end=end, bucket_seconds=bucket)
    chart = chart_mod.build_chart(
        buckets, start=start, end=end, bucket_seconds=bucket, series=series_name, band=series_name == chart_mod.RATIO
    )
    return HistoryChart(range_name, series_name, chart, f"from={iso(start)}&to={iso(end)}&bucket={bucket}")


def overview_chart(
    buckets: list, *, now: datetime, span: timedelta, bucket_seconds: int, interval_seconds: float
) -> Chart:
    """The overview's compact ratio chart from the buckets the dashboard already read (no query):
    the last `span` up to now, buckets merged to at least two snapshot intervals."""
    start = series.bucket_start(now - span, bucket_seconds)
    end = max(now.astimezone(timezone.utc), start + timedelta(seconds=bucket_seconds))
    return chart_mod.build_chart(
        buckets,
        start=start,
        end=end,
        bucket_seconds=bucket_seconds,
        compact=True,
        chart_id="overview-chart",
        min_bucket=int(2 * interval_seconds),
    )
