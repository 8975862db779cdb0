"""GET /history through the app on the devnet: each range and series as SVG and table, its JSON twin, 400 pages."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest

from reserves.read.chart import Chart
from reserves.storage import series
from reserves.storage.models import RatioPoint
from tests.portal.conftest import snapshot
from tests.support import serve_now

RANGES = ("day", "week", "month", "year", "all")


def svg_of(page: str) -> ET.Element:
    return ET.fromstring(page[page.index("<svg") : page.index("</svg>") + len("</svg>")])


def rows_of(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><time datetime="([^"]+)">', page)


def test_every_range_and_series_gives_a_chart_and_a_table(client):
    snapshot(client)
    snapshot(client)
    for range_name in RANGES:
        for series_name in ("ratio", "amounts"):
            r = client.get(f"/history?range={range_name}&series={series_name}")
            assert r.status_code == 200, (range_name, series_name, r.text[:300])
            svg = svg_of(r.text)
            assert svg.get("role") == "img" and len(rows_of(r.text)) >= 1
            assert r.headers.get("etag") and "style=" not in r.text
            current = re.findall(r'<a href="/history\?([^"]+)" aria-current="page">', r.text)
            assert current == [f"range={range_name}&amp;series={series_name}"] * 2  # one range, one series
            assert ("100% = fully backed" in r.text) == (series_name == "ratio")


def test_the_default_is_a_month_of_the_ratio_and_links_to_the_same_buckets_as_json(client):
    snapshot(client)
    page = client.get("/history").text
    assert 'aria-current="page">Month</a>' in page and 'aria-current="page">Reserve ratio</a>' in page
    link = html.unescape(re.search(r'id="history-json" href="([^"]+)"', page).group(1))
    data = client.get(link).json()
    assert [p["start"] for p in data["points"]] == rows_of(page)


def test_all_starts_at_the_first_stored_day_and_a_dip_shows(client):
    old = datetime.now(timezone.utc) - timedelta(days=200)

    async def add_old_point():
        async with client.world.db.sessions() as session:
            async with session.begin():
                point = RatioPoint(
                    time=old,
                    sequence=10**9,
                    attestation_id="f" * 64,
                    status="undercollateralized",
                    ratio_bp=9_700,
                    reserves_sat=97 * 10**8,
                    liabilities_sat=100 * 10**8,
                )
                session.add(point)
                await session.flush()
                await series.record(session, point, [])

    client.world.call(add_old_point)
    serve_now(client)  # no page of a second ago from the one-second cache
    first_day = old.strftime("%Y-%m-%dT00:00:00Z")
    everything = client.get("/history?range=all").text
    first = datetime.fromisoformat(rows_of(everything)[0].replace("Z", "+00:00"))
    assert first <= old < first + timedelta(days=1) and "Lowest 97.00%" in everything
    year = client.get("/history?range=year&series=amounts").text
    assert rows_of(year)[0] == first_day and "97.00000000" in year
    assert first_day not in rows_of(client.get("/history?range=month").text)


@pytest.mark.parametrize(
    "query",
    [
        "range=decade",
        "series=pie",
        "range=day&range=week",
        "series=ratio&series=ratio",
        "range=" + "d" * 200,
        "range=" + "d" * 5000,  # over the query limit: refused in front of routing, as a page too
        "range=",
        "range=%00",
        "range=DAY",
    ],
)
def test_bad_queries_get_a_400_page(client, query):
    r = client.get(f"/history?{query}", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    assert re.search(r'<p id="error-detail" class="error">[^<]*(range|series|query)', r.text)
    assert "d" * 100 not in r.text  # the value is not echoed


def test_the_api_keeps_its_json_errors_for_browsers_too(client):
    r = client.get("/api/v1/history?bucket=1&bucket=2", headers={"Accept": "text/html"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"
    assert client.get("/history?range=day&range=day").json()["error"]["code"] == "invalid_input"  # not a browser


def test_the_overview_chart_comes_from_the_hot_view(client):
    snapshot(client)
    hot = client.app.state.services.hot
    chart = hot.overview_chart()
    assert isinstance(chart, Chart) and chart.id == "overview-chart" and not chart.empty
    assert chart.series == "ratio" and chart.lines[0].paths + chart.lines[0].dots
