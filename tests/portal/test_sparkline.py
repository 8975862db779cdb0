"""The dashboard's ratio history line: scaled from the history buckets, rendered in the partial."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from reserves.read import views
from reserves.storage.repository import Bucket

T0 = datetime(2026, 11, 22, tzinfo=timezone.utc)


def bucket(minutes: int, low: int | None, last: int | None = None, high: int | None = None) -> Bucket:
    last = low if last is None else last
    return Bucket(T0 + timedelta(minutes=minutes), 1, low, high or last, last, 1, 1, 1, 1, 1, 1, "healthy")


def points(line: views.Sparkline) -> list[list[tuple[float, float]]]:
    return [[tuple(map(float, p.split(","))) for p in seg.split()] for seg in line.segments]


def test_points_span_the_box_with_the_highest_ratio_on_top():
    line = views.sparkline(
        [bucket(0, 10_000), bucket(30, 12_000), bucket(59, 11_000)], start=T0, span=timedelta(hours=1)
    )
    [pts] = points(line)
    assert pts[0] == (0.0, 95.0) and pts[1][1] == 5.0 and 980 < pts[2][0] < 1000
    assert (line.min_percent, line.max_percent, line.window, line.buckets) == ("100.00%", "120.00%", "1 h", 3)


def test_a_dip_that_recovered_inside_a_bucket_still_shows():
    """Drawn at each bucket's lowest ratio: a last-value line would hide the dip below 100 %."""
    line = views.sparkline(
        [bucket(0, 10_500), bucket(15, 9_800, last=10_500), bucket(30, 10_500)], start=T0, span=timedelta(hours=1)
    )
    [pts] = points(line)
    assert pts[1][1] == 95.0 and line.min_percent == "98.00%"


def test_buckets_without_a_ratio_break_the_line():
    line = views.sparkline(
        [bucket(0, 10_000), bucket(10, 10_100), bucket(20, None), bucket(30, 10_200), bucket(40, 10_300)],
        start=T0,
        span=timedelta(hours=1),
    )
    assert [len(seg) for seg in points(line)] == [2, 2]


def test_no_line_from_fewer_than_two_ratios():
    assert views.sparkline([bucket(0, 10_000), bucket(1, None)], start=T0, span=timedelta(hours=1)) is None
    flat = views.sparkline([bucket(0, 10_000), bucket(1, 10_000)], start=T0, span=timedelta(minutes=5))
    assert flat.segments[0].endswith(",50.0") and flat.window == "5 min"
