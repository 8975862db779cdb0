"""GET /api/v1/prices/latest and /history, the /prices page and its chart, the overview's USD line, on a real app."""

from __future__ import annotations

import asyncio
import html as html_lib
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from litestar.testing import TestClient

from chains.registry import get_spec
from portal.app import create_app
from reserves.prices.round import run_round
from reserves.read.history_chart import RANGES
from reserves.read.prices import money, price_text, usd_cents
from reserves.settings.load import default_settings
from reserves.storage import price_series
from reserves.storage.db import open_database
from reserves.storage.migrate import upgrade
from reserves.storage.price_models import PricePoint
from tests.prices.conftest import ticker_settings

SVG = "{http://www.w3.org/2000/svg}"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture(scope="module")
def priced(tmp_path_factory):
    """A web app over a database holding three rounds read from real local tickers (binance lies)."""
    from chains.devnet.http import serve_in_thread
    from chains.devnet.prices import TickerApp

    tmp = tmp_path_factory.mktemp("prices")
    app, stop = TickerApp(), None
    url, stop = serve_in_thread(app)
    base = default_settings(tmp)
    settings = replace(base, devnet=replace(base.devnet, enabled=False), prices=ticker_settings(url))
    upgrade(settings.database.url)

    async def rounds() -> None:
        db = open_database(settings.database.url)
        adapters = [get_spec(s.kind).build(s.config) for s in settings.prices.sources]
        now = datetime.now(timezone.utc)
        for i, lie in enumerate(("80000", "67002", "90000")):
            app.prices.update(coinbase=D("67000") + i, kraken=D("67010") + i, bitstamp=D("66990") + i)
            app.prices["binance"] = D(lie)
            await run_round(db, settings.prices, adapters, now - timedelta(seconds=20 - 10 * i), 2)
        for a in adapters:
            await a.aclose()
        await db.dispose()

    asyncio.run(rounds())
    with TestClient(create_app(settings)) as client:
        yield client
    stop(wait=False)


def test_latest_has_the_price_the_status_and_every_verdict(priced):
    r = priced.get("/api/v1/prices/latest")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["pair"] == "BTC/USD" and body["price"] == "67002.00000000" and body["price_e8"] == "6700200000000"
    assert body["status"] == "fresh" and body["reason"] is None and body["scale"] == 8
    verdicts = {s["name"]: (s["value"], s["kept"], s["reason"]) for s in body["sources"]}
    assert verdicts == {
        "binance": ("90000", False, "deviation"),
        "bitstamp": ("66992", True, "ok"),
        "coinbase": ("67002", True, "ok"),
        "kraken": ("67012", True, "ok"),
    }
    assert r.headers["cache-control"].startswith("public")


def test_history_buckets_the_rounds(priced):
    r = priced.get("/api/v1/prices/history", params={"bucket": "86400"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"] == "rollup_86400s" and sum(p["rounds"] for p in body["points"]) == 3
    assert body["points"][-1]["last_price"] == "67002.00000000"


@pytest.mark.parametrize(
    "query",
    [
        {"bucket": "0"},
        {"bucket": "-1"},
        {"bucket": "1.5"},
        {"bucket": "9" * 400},
        {"bucket": "1", "from": "2000-01-01T00:00:00Z"},
        {"from": "2026-01-01T00:00:00"},  # no zone
        {"from": "not a time"},
        {"from": "1999-12-31T23:59:59Z"},
        {"to": "9999-12-31T23:59:59Z"},
        {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        {"from": "2026-01-01T00:00:00Z\x00"},
        {"bucket": "<script>"},
    ],
)
def test_hostile_history_parameters_are_400_with_a_code(priced, query):
    r = priced.get("/api/v1/prices/history", params=query)
    assert r.status_code == 400, (query, r.status_code, r.text)
    assert r.json()["error"]["code"] == "invalid_input"


def test_the_prices_page_lists_sources_with_their_verdicts(priced):
    r = priced.get("/prices")
    assert r.status_code == 200
    html = r.text
    assert "67002.00000000" in html and '<caption id="price-sources-caption">' in html
    assert 'data-source="binance" data-kept="false"' in html and "deviation" in html
    assert '<th scope="col">Reason</th>' in html and 'href="/prices"' in html  # in the navigation


def test_the_feature_off_is_a_404_with_a_code_and_a_page_that_says_so(tmp_path):
    base = default_settings(tmp_path)
    with TestClient(create_app(replace(base, devnet=replace(base.devnet, enabled=False)))) as client:
        for path in ("/api/v1/prices/latest", "/api/v1/prices/history"):
            r = client.get(path)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", path
        page = client.get("/prices")
        assert page.status_code == 200 and 'id="prices-off"' in page.text
        assert 'id="price-line"' not in client.get("/").text


def test_usd_values_are_floored_integers():
    assert usd_cents(100_000_000, 6_700_200_000_000) == 6_700_200  # 1 BTC at 67002
    assert usd_cents(1, 6_700_299_999_999) == 0  # 0.00067003 USD floors to 0 cents
    assert money(123_456_789) == "1,234,567.89" and price_text(1) == "0.00000001"


def test_the_overview_shows_the_price_line(priced):
    html = priced.get("/").text
    assert 'id="price-line"' in html and '<span class="num">67,002.00</span> USD' in html and 'href="/prices"' in html


# -- the chart on /prices ---------------------------------------------------------------------------

E8 = 10**8


@pytest.fixture(scope="module")
def charted(tmp_path_factory):
    """A web app over rounds stored at chosen times of the last day: 5-minute buckets from 3 h to 2 h ago,
    none for an hour, then again from 1 h ago to 30 min ago with one round that has no median (too
    few sources) in its middle: three runs, two breaks. Every median is a whole number of USD."""
    tmp = tmp_path_factory.mktemp("price-chart")
    base = default_settings(tmp)
    settings = replace(base, devnet=replace(base.devnet, enabled=False), prices=ticker_settings("http://127.0.0.1:9"))
    upgrade(settings.database.url)
    now = datetime.now(timezone.utc)
    first = price_series.bucket_start(now - timedelta(hours=3), 300) + timedelta(seconds=30)
    times = [first + timedelta(minutes=5 * i) for i in range(12)]
    times += [first + timedelta(hours=2, minutes=5 * i) for i in range(7)]

    async def store() -> None:
        db = open_database(settings.database.url)
        async with db.sessions() as session:
            async with session.begin():
                for i, at in enumerate(times):
                    lost = i == 15  # a round without a median breaks the line
                    e8 = None if lost else (67_000 + 10 * i) * E8
                    point = PricePoint(
                        pair="BTC/USD",
                        time=at,
                        price_e8=e8,
                        price=None if e8 is None else str(e8 // E8),
                        status="stale" if lost else "fresh",
                        reason="too_few_sources" if lost else None,
                        sources=4,
                        kept=1 if lost else 4,
                    )
                    await price_series.record(session, point, [])
        await db.dispose()

    asyncio.run(store())
    with TestClient(create_app(settings)) as client:
        yield client


def svg_of(page: str) -> ET.Element:
    return ET.fromstring(page[page.index("<svg") : page.index("</svg>") + len("</svg>")])


def plot_box(svg: ET.Element) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the plot, from the two axis lines drawn last."""
    frame = [g for g in svg.iter(f"{SVG}g") if g.get("stroke") == "#1b1b1f"][-1]
    bottom_axis, left_axis = frame.findall(f"{SVG}line")
    left, right, bottom = (float(bottom_axis.get(k)) for k in ("x1", "x2", "y1"))
    return left, float(left_axis.get("y1")), right, bottom


def drawn_points(svg: ET.Element) -> list[tuple[float, float]]:
    line = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "series-price")
    out = [tuple(map(float, pt.split(","))) for pl in line.iter(f"{SVG}polyline") for pt in pl.get("points").split()]
    out += [(float(c.get("cx")), float(c.get("cy"))) for c in line.iter(f"{SVG}circle")]
    for polygon in svg.iter(f"{SVG}polygon"):
        out += [tuple(map(float, pt.split(","))) for pt in polygon.get("points").split()]
    return out


def row_starts(page: str) -> list[str]:
    chart = page[page.index('id="price-chart-table"') :]
    return re.findall(r'<th scope="row"><time datetime="([^"]+)">', chart[: chart.index("</table>")])


def test_the_prices_page_charts_the_median_over_the_last_day(charted):
    r = charted.get("/prices")
    assert r.status_code == 200, r.text[:300]
    page = r.text
    svg = svg_of(page)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "price-chart-title price-chart-desc"
    title = svg.find(f"{SVG}title").text
    assert title.startswith("BTC/USD median price, last per 5 minutes and lowest to highest, from ")
    assert title.endswith(" UTC")
    desc = svg.find(f"{SVG}desc").text
    assert "Latest 67,180.00000000 USD, lowest 67,000.00000000 USD, highest 67,180.00000000 USD." in desc
    assert 'aria-current="page">Day</a>' in page and "<figcaption>BTC/USD median price" in page
    frame = re.search(r'<div class="chart-frame" role="region" aria-labelledby="price-chart-title" tabindex="0">', page)
    assert frame, "the chart's scrolling frame is a named, focusable region"
    assert "style=" not in page and not re.search(r"<script(?![^>]*\bsrc=)", page)  # the CSP allows neither


def test_the_price_axes_have_units_and_utc_times(charted):
    svg = svg_of(charted.get("/prices").text)
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "USD per BTC" in texts
    values = [t for t in texts if t and t.endswith(" USD")]
    assert len(values) >= 2 and all(re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d+)? USD", t) for t in values), values
    numbers = [int(v.split()[0].replace(",", "").split(".")[0]) for v in values]
    assert numbers == sorted(numbers) and numbers[0] <= 67_000 and numbers[-1] >= 67_180  # the prices inside
    times = [t for t in texts if t and re.fullmatch(r"\d{2}:\d{2}|\d{1,2} [A-Z][a-z]{2}", t)]
    assert len(times) >= 3  # "06:00", midnight as its date ("23 Nov")


def test_the_price_line_breaks_where_no_median_was_recorded(charted):
    page = charted.get("/prices").text
    svg = svg_of(page)
    line = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "series-price")
    runs = [len(p.get("points").split()) for p in line.iter(f"{SVG}polyline")]
    assert runs == [12, 3, 3] and line.find(f"{SVG}circle") is None  # the hour without rounds, the lost median
    assert "The line breaks 2 times where an interval has no data." in svg.find(f"{SVG}desc").text
    assert "Breaks in the line: intervals without data." in page
    table = page[page.index('id="price-chart-table"') :]
    table = table[: table.index("</table>")]
    assert table.count('<tr><th scope="row">') == 19  # the bucket without a median keeps its row
    lost = re.search(r"<td class=\"num\">n/a</td><td>stale</td>", table)
    assert lost and "Last (USD)" in table and "Lowest (USD)" in table


def test_the_price_chart_stays_inside_its_plot_in_every_range(charted):
    for name in RANGES:
        page = charted.get(f"/prices?range={name}").text
        assert f'aria-current="page">{RANGES[name].label}</a>' in page, name
        svg = svg_of(page)
        left, top, right, bottom = plot_box(svg)
        points = drawn_points(svg)
        assert points, name
        assert all(left <= x <= right and top <= y <= bottom for x, y in points), name


def test_the_price_chart_table_is_the_buckets_its_json_link_returns(charted):
    for name in ("day", "week", "all"):
        page = charted.get(f"/prices?range={name}").text
        link = html_lib.unescape(re.search(r'id="price-chart-json" href="([^"]+)"', page).group(1))
        data = charted.get(link).json()
        assert [p["start"] for p in data["points"]] == row_starts(page), name


@pytest.mark.parametrize(
    "query",
    [
        "range=decade",
        "range=day&range=week",
        "range=" + "d" * 200,
        "range=",
        "range=%00",
        "range=DAY",
        "range=<script>",
    ],
)
def test_bad_ranges_get_a_400_page(charted, query):
    r = charted.get(f"/prices?{query}", headers=BROWSER)
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html"), (query, r.status_code)
    assert re.search(r'<p id="error-detail" class="error">[^<]*range', r.text)
    assert "d" * 100 not in r.text and "<script>" not in r.text.split("</head>", 1)[1]  # the value is not echoed
    assert '<a href="/prices">' in r.text


def test_with_the_feature_off_a_bad_range_is_still_a_400(tmp_path):
    base = default_settings(tmp_path)
    with TestClient(create_app(replace(base, devnet=replace(base.devnet, enabled=False)))) as client:
        assert client.get("/prices?range=week").status_code == 200
        assert client.get("/prices?range=weekly", headers=BROWSER).status_code == 400
