"""GET /api/v1/prices/latest and /history, the /prices page and the overview's USD line, on a real app."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from litestar.testing import TestClient

from chains.registry import get_spec
from portal.app import create_app
from reserves.prices.round import run_round
from reserves.read.prices import money, price_text, usd_cents
from reserves.settings.load import default_settings
from reserves.storage.db import open_database
from reserves.storage.migrate import upgrade
from tests.prices.conftest import ticker_settings


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
