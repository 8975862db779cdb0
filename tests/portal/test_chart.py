"""The chart read models (reserves.read.chart: the history's; reserves.read.price_chart: the prices') and their SVG
(templates/pages/_chart.html), without a database."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jinja2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reserves.read import chart_axes as axes
from reserves.read.chart import AMOUNTS, MAX_POINTS, RATIO, Chart, build_chart
from reserves.read.history_chart import overview_chart
from reserves.read.price_chart import PRICE, build_price_chart
from reserves.storage.price_series import PriceBucket
from reserves.storage.series import Bucket

T0 = datetime(2026, 11, 22, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
SVG = "{http://www.w3.org/2000/svg}"


def bucket(
    at: datetime, low: int | None, high: int | None = None, last: int | None = None, res: int = 10**8, liab: int = 10**8
) -> Bucket:
    high = low if high is None else high
    last = low if last is None else last
    return Bucket(at, 1, low, high, last, res, res + 5, res + 1, liab - 5, liab, liab - 1, "healthy")


def hourly(*ratios: int | None, **kw) -> list[Bucket]:
    """One bucket an hour from T0; None: no ratio in that hour (a stale-only bucket is not the same as a
    missing one: use `skip` for that)."""
    return [bucket(T0 + i * HOUR, r, **kw) for i, r in enumerate(ratios)]


def day_chart(buckets: list[Bucket], **kw) -> Chart:
    return build_chart(buckets, start=T0, end=T0 + 24 * HOUR, bucket_seconds=3600, **kw)


def points(path: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in path.split())]


def render(chart: Chart) -> str:
    return ENV.get_template("pages/_chart.html").render(chart=chart)


def svg_of(html: str) -> ET.Element:
    return ET.fromstring(html[html.index("<svg") : html.index("</svg>") + len("</svg>")])


# -- axes ----------------------------------------------------------------------------------------


def test_time_ticks_fit_the_range():
    day = axes.time_ticks(T0, T0 + timedelta(days=1), 8)
    assert [t.label for t in day] == ["22 Nov", "06:00", "12:00", "18:00", "23 Nov"]
    week = axes.time_ticks(T0, T0 + timedelta(days=7), 8)
    assert [t.label for t in week] == [f"{d} Nov" for d in range(22, 30)]
    month = axes.time_ticks(T0, T0 + timedelta(days=30), 8)
    assert all(t.at.weekday() == 0 and t.at.hour == 0 for t in month)  # Mondays
    year = axes.time_ticks(T0, T0 + timedelta(days=365), 8)
    assert all(t.at.day == 1 for t in year) and "2027" in [t.label for t in year] and "Mar" in [t.label for t in year]
    ages = axes.time_ticks(datetime(2009, 1, 3, tzinfo=timezone.utc), T0, 8)
    assert [t.label for t in ages] == ["2010", "2015", "2020", "2025"]


def test_time_ticks_stay_within_the_range_and_count():
    for hours in (1, 5, 24, 24 * 7, 24 * 30, 24 * 365, 24 * 365 * 150):
        end = T0 + hours * HOUR
        ticks = axes.time_ticks(T0, end, 8)
        assert 1 <= len(ticks) <= 8 and all(T0 <= t.at <= end for t in ticks)


def test_value_labels_are_exact_with_fixed_decimals():
    low, high, ticks = axes.value_ticks(9_950, 10_020, 7)
    assert (low, high) == (9_940, 10_020) and axes.percent_labels(ticks)[0] == "99.4%"
    assert axes.percent_labels([9_000, 10_000, 11_000]) == ["90%", "100%", "110%"]
    assert axes.btc_labels([0, 50_000_000, 100_000_000]) == ["0.0", "0.5", "1.0"]
    huge = 2**70 // 10**8 * 10**8  # beyond a float's 53 bits
    assert axes.btc_labels([huge, huge + 1]) == [f"{huge // 10**8:,}.00000000", f"{huge // 10**8:,}.00000001"]
    assert axes.duration(300) == "5 minutes" and axes.duration(3600) == "hour" and axes.duration(14_400) == "4 hours"
    e8 = 10**8
    assert axes.decimal_labels([66_950 * e8, 67_000 * e8, 67_050 * e8], 8) == ["66,950", "67,000", "67,050"]
    assert axes.decimal_labels([67_000 * e8, 67_000 * e8 + 25 * 10**6], 8) == ["67,000.00", "67,000.25"]


# -- the ratio chart -------------------------------------------------------------------------------


def _inside(chart: Chart, x: float, y: float) -> bool:
    p = chart.plot
    return p.left <= x <= p.right and p.top <= y <= p.bottom


def test_the_100_percent_line_is_in_view_when_every_ratio_is_above_or_below():
    for ratios in ((15_000, 16_000, 15_500), (5_000, 6_000, 5_500)):
        chart = day_chart(hourly(*ratios))
        assert (
            chart.reference is not None and chart.plot.top < chart.reference.pos < chart.plot.bottom
        )  # not on the frame
        values = [y for _, y in points(chart.lines[0].paths[0])]
        assert all(chart.plot.top <= y <= chart.plot.bottom for y in values)


def test_each_bucket_is_drawn_at_its_lowest_ratio():
    chart = day_chart(
        [bucket(T0, 10_500), bucket(T0 + HOUR, 9_800, high=10_600, last=10_500), bucket(T0 + 2 * HOUR, 10_500)]
    )
    [path] = chart.lines[0].paths
    ys = [y for _, y in points(path)]
    y_98 = next(t.pos for t in chart.y_ticks if t.label == "98%")
    assert ys[1] == y_98 and ys[0] == ys[2] < y_98 and "Lowest 98.00%" in chart.desc


def test_missing_buckets_and_buckets_without_a_ratio_break_the_line():
    buckets = hourly(10_000, 10_100, 10_200) + [bucket(T0 + 4 * HOUR, 10_300), bucket(T0 + 5 * HOUR, 10_300)]
    buckets += [bucket(T0 + 6 * HOUR, None), bucket(T0 + 7 * HOUR, 10_400), bucket(T0 + 8 * HOUR, None)]
    chart = day_chart(buckets)
    [line] = chart.lines
    assert [len(points(p)) for p in line.paths] == [3, 2] and len(line.dots) == 1
    assert chart.gaps == 2 and "breaks 2 times" in chart.desc
    assert len(chart.rows) == 8 and chart.rows[5].min_ratio == "n/a"  # the table keeps the stale-only bucket


def test_the_band_spans_min_to_max_and_is_optional():
    buckets = [bucket(T0, 10_000, high=10_400), bucket(T0 + HOUR, 10_100, high=10_300)]
    assert day_chart(buckets).band == []
    [polygon] = day_chart(buckets, band=True).band
    assert len(points(polygon)) == 4


def test_empty_and_one_point():
    empty = day_chart([])
    assert (
        empty.empty
        and empty.plot.top < empty.reference.pos < empty.plot.bottom
        and empty.lines[0].paths == []
        and empty.reference is not None
        and empty.gaps == 0
    )
    assert "No attestation in this range" in render(empty)
    one = day_chart(hourly(10_100))
    assert one.lines[0].paths == [] and len(one.lines[0].dots) == 1 and len(one.rows) == 1
    assert _inside(one, *one.lines[0].dots[0])


def test_buckets_outside_the_range_are_left_out_and_fine_ones_merged():
    many = [bucket(T0 + timedelta(seconds=i), 10_000 + i % 7) for i in range(5_000)]
    many[1234] = bucket(many[1234].start, 9_000)
    chart = build_chart(
        [bucket(T0 - HOUR, 1), *many, bucket(T0 + 2 * HOUR, 1)],
        start=T0,
        end=T0 + timedelta(seconds=5_000),
        bucket_seconds=1,
    )
    drawn = sum(len(points(p)) for p in chart.lines[0].paths) + len(chart.lines[0].dots)
    assert drawn <= MAX_POINTS and chart.bucket_seconds == 3 and len(chart.rows) == 1_667
    assert chart.rows[1234 // 3].min_ratio == "90.00%" and "Lowest 90.00%" in chart.desc  # the dip survives


# -- reserves against supply -------------------------------------------------------------------------


def test_amounts_draw_two_lines_from_integers():
    sat = 2**64 + 1
    chart = day_chart(hourly(10_000, 10_000, res=sat, liab=sat - 7), series=AMOUNTS)
    reserves, supply = chart.lines
    assert (reserves.name, supply.name) == ("reserves", "supply")
    assert reserves.dash is None and supply.dash and reserves.label != supply.label
    assert (reserves.marker, supply.marker) == ("circle", "square")  # lone buckets differ by shape too
    assert [i.label for i in chart.legend] == [reserves.label, supply.label]
    assert chart.reference is None and chart.y_label == "BTC" and chart.y_ticks[0].label.startswith("0")
    assert (
        chart.rows[0].reserves_btc == "184,467,440,737.09551617"
        and chart.rows[0].supply_btc == "184,467,440,737.09551610"
    )
    labels = [t.label for t in chart.y_ticks]
    assert len({len(s.partition(".")[2]) for s in labels}) == 1  # fixed decimals on the axis


def test_the_overview_chart_merges_buckets_shorter_than_two_snapshots():
    now = T0 + timedelta(minutes=10)
    buckets = [bucket(T0 + timedelta(seconds=s), 10_000) for s in range(0, 600, 10)]  # one snapshot each 10 s
    chart = overview_chart(buckets, now=now, span=timedelta(minutes=10), bucket_seconds=6, interval_seconds=10)
    assert chart.id == "overview-chart" and chart.gaps == 0 and len(chart.lines[0].paths) == 1
    assert chart.height < day_chart([]).height


# -- the median price ---------------------------------------------------------------------------------

E8 = 10**8


def price(at: datetime, last: int | None, low: int | None = None, high: int | None = None) -> PriceBucket:
    low = last if low is None else low
    high = last if high is None else high
    return PriceBucket(at, 2, 2 if last is not None else 0, low, high, last, "fresh" if last is not None else "stale")


def price_day(buckets: list[PriceBucket]) -> Chart:
    return build_price_chart(buckets, pair="BTC/USD", start=T0, end=T0 + 24 * HOUR, bucket_seconds=3600)


def test_the_price_is_drawn_at_each_buckets_last_median_inside_its_band():
    buckets = [price(T0, 67_000 * E8), price(T0 + HOUR, 67_100 * E8, low=66_900 * E8, high=67_200 * E8)]
    buckets.append(price(T0 + 2 * HOUR, 67_050 * E8))
    chart = price_day(buckets)
    [line] = chart.lines
    assert (chart.series, line.name, chart.reference, chart.y_label) == (PRICE, "price", None, "USD per BTC")
    ys = [y for _, y in points(line.paths[0])]
    y_of = {t.label: t.pos for t in chart.y_ticks}
    assert ys[0] == y_of["67,000 USD"] and ys[1] < ys[2] < ys[0]  # the last median, not the lowest
    [band] = chart.band
    band_ys = [y for _, y in points(band)]
    assert min(band_ys) == y_of["67,200 USD"] and max(band_ys) == y_of["66,900 USD"]
    assert [i.label for i in chart.legend] == ["Last median per hour", "Lowest to highest in the interval"]
    assert chart.rows[1].cells == ("2", "2", "66,900.00000000", "67,200.00000000", "67,100.00000000", "fresh")
    assert [c.header for c in chart.columns][2:5] == ["Lowest (USD)", "Highest (USD)", "Last (USD)"]
    assert chart.desc == "Latest 67,050.00000000 USD, lowest 66,900.00000000 USD, highest 67,200.00000000 USD."


def test_hours_without_a_round_or_a_median_break_the_price_line():
    buckets = [price(T0 + i * HOUR, 67_000 * E8 + i) for i in (0, 1, 2, 4, 5, 7)]
    buckets.insert(5, price(T0 + 6 * HOUR, None))  # rounds, none with a median
    chart = price_day(buckets)
    [line] = chart.lines
    assert [len(points(p)) for p in line.paths] == [3, 2] and len(line.dots) == 1
    assert chart.gaps == 2 and "breaks 2 times" in chart.desc and len(chart.rows) == 7
    assert chart.rows[5].cells[2:] == ("n/a", "n/a", "n/a", "stale")


def test_an_empty_price_range_says_so():
    chart = price_day([])
    assert chart.empty and chart.lines[0].paths == [] and chart.band == [] and chart.gaps == 0
    assert chart.desc == "No BTC/USD median in this range." and "No price in this range" in render(chart)


# -- the SVG and its table ---------------------------------------------------------------------------


def test_markup_is_accessible_and_has_no_inline_style():
    html = render(day_chart(hourly(10_000, 9_900, None, 10_100), band=True))
    svg = svg_of(html)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "history-chart-title history-chart-desc"
    assert svg.find(f"{SVG}title").get("id") == "history-chart-title" and svg.find(f"{SVG}desc").text
    assert "style=" not in html and "<script" not in html
    assert re.search(r"<details class=\"chart-data\">\s*<summary>", html) and "<caption>" in html
    assert html.count('scope="col"') == 7 and html.count('scope="row"') == 4
    assert '<time datetime="2026-11-22T01:00:00Z">2026-11-22 01:00 UTC</time>' in html


# -- properties ------------------------------------------------------------------------------------

SIZES = st.sampled_from([1, 60, 300, 3600, 14_400, 86_400])
VALUE = st.integers(0, 2**80)


@st.composite
def histories(draw):
    size = draw(SIZES)
    start = datetime(2000, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=draw(st.integers(0, 6_000_000_000)))
    count = draw(st.integers(1, 3_000))
    rows = draw(st.lists(st.tuples(st.integers(-3, count + 3), st.none() | VALUE, VALUE, VALUE, VALUE), max_size=60))
    buckets = [
        Bucket(start + timedelta(seconds=i * size), 1, r, None if r is None else r + d, r, a, a, a, b, b, b, "healthy")
        for i, r, d, a, b in rows
    ]
    return buckets, start, start + timedelta(seconds=count * size), size


def _coordinates(chart: Chart):
    for line in chart.lines:
        for path in line.paths:
            yield from points(path)
        yield from line.dots
    for polygon in chart.band:
        yield from points(polygon)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.sampled_from([RATIO, AMOUNTS]), st.booleans(), st.booleans())
def test_any_buckets_give_finite_coordinates_inside_the_plot_and_valid_xml(history, series, compact, band):
    buckets, start, end, size = history
    chart = build_chart(buckets, start=start, end=end, bucket_seconds=size, series=series, compact=compact, band=band)
    for x, y in _coordinates(chart):
        assert math.isfinite(x) and math.isfinite(y) and _inside(chart, x, y)
    for t in chart.x_ticks:
        assert chart.plot.left <= t.pos <= chart.plot.right
    for t in chart.y_ticks:
        assert chart.plot.top <= t.pos <= chart.plot.bottom
    if chart.reference is not None:
        assert chart.plot.top <= chart.reference.pos <= chart.plot.bottom
    assert len(chart.rows) <= MAX_POINTS and 2 <= len(chart.y_ticks) <= 7 and 1 <= len(chart.x_ticks) <= 8
    svg = svg_of(render(chart))
    assert all(
        math.isfinite(float(v)) for el in svg.iter() for k, v in el.attrib.items() if k in ("x", "y", "cx", "cy")
    )


PRICE_E8 = st.integers(1, 10**15)  # up to 10 million USD, the policy's highest


@st.composite
def price_histories(draw):
    size = draw(SIZES)
    start = datetime(2000, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=draw(st.integers(0, 6_000_000_000)))
    count = draw(st.integers(1, 3_000))
    rows = draw(st.lists(st.tuples(st.integers(-3, count + 3), st.none() | PRICE_E8, PRICE_E8, PRICE_E8), max_size=60))
    buckets = []
    for i, last, a, b in rows:
        low, high = (None, None) if last is None else (min(a, b, last), max(a, b, last))
        buckets.append(PriceBucket(start + timedelta(seconds=i * size), 1, int(last is not None), low, high, last, "x"))
    return buckets, start, start + timedelta(seconds=count * size), size


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(price_histories())
def test_any_price_buckets_give_finite_coordinates_inside_the_plot_and_valid_xml(history):
    buckets, start, end, size = history
    chart = build_price_chart(buckets, pair="BTC/USD", start=start, end=end, bucket_seconds=size)
    for x, y in _coordinates(chart):
        assert math.isfinite(x) and math.isfinite(y) and _inside(chart, x, y)
    for t in chart.x_ticks:
        assert chart.plot.left <= t.pos <= chart.plot.right
    for t in chart.y_ticks:
        assert chart.plot.top <= t.pos <= chart.plot.bottom and t.label.endswith(" USD")
    assert len({len(t.label.partition(".")[2]) for t in chart.y_ticks}) == 1  # fixed decimals on the axis
    assert len(chart.rows) <= MAX_POINTS and 2 <= len(chart.y_ticks) <= 7 and 1 <= len(chart.x_ticks) <= 8
    assert len(chart.rows) == len({r.start for r in chart.rows})
    svg = svg_of(render(chart))
    assert all(
        math.isfinite(float(v)) for el in svg.iter() for k, v in el.attrib.items() if k in ("x", "y", "cx", "cy")
    )
