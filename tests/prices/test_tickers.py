"""Ticker adapters against real local HTTP servers that answer, lie, fail, stall and send garbage."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal as D

import pytest

from chains.devnet.prices import VENUES
from chains.errors import ChainConfigError, ChainUnavailable
from chains.price.base import PriceDataError, PriceTimeout, exact_decimal, scaled
from chains.price.config import parse_ticker
from chains.price.ticker import HttpTickerAdapter
from chains.registry import get_spec
from reserves.prices.aggregate import aggregate
from reserves.prices.round import observe_all
from tests.prices.conftest import ticker_settings


def adapter(url: str, venue: str, **extra) -> HttpTickerAdapter:
    return HttpTickerAdapter(parse_ticker(venue, {"pair": "BTC/USD", "format": venue, "url": url, **extra}))


@pytest.mark.parametrize("venue", VENUES)
async def test_each_format_reads_the_exact_price(tickers, venue):
    app, url = tickers
    app.prices[venue] = D("67012.34567890")
    app.stamps["bitstamp"] = 1_765_000_000
    a = adapter(url, venue)
    try:
        reading = await a.read_price()
    finally:
        await a.aclose()
    assert reading.value == D("67012.34567890") and str(reading.value) == "67012.34567890"
    assert reading.source == venue and reading.kind == "price-ticker" and reading.pair == "BTC/USD"
    if venue == "bitstamp":
        assert reading.time == datetime.fromtimestamp(1_765_000_000, timezone.utc)


@pytest.mark.parametrize(
    ("fault", "error", "reason"),
    [
        ("error", ChainUnavailable, "unavailable"),
        ("garbage", PriceDataError, "malformed"),
        ("number", PriceDataError, "malformed"),
        ("huge", PriceDataError, "malformed"),
        ("slow", PriceTimeout, "timeout"),
    ],
)
async def test_each_fault_is_its_own_error_and_reason(tickers, fault, error, reason):
    app, url = tickers
    app.faults["coinbase"] = fault
    a = adapter(url, "coinbase", timeout_seconds=0.5)
    try:
        with pytest.raises(error):
            await a.read_price()
    finally:
        await a.aclose()
    observed = await observe_all([adapter(url, "coinbase", timeout_seconds=0.5)], timeout=2)
    assert observed[0].failure == reason and observed[0].detail


async def test_a_server_that_is_gone_is_unavailable():
    a = adapter("http://127.0.0.1:9", "binance")
    with pytest.raises(ChainUnavailable) as caught:
        await a.read_price()
    assert "127.0.0.1" not in caught.value.detail  # URLs may carry keys: never in a detail
    await a.aclose()


async def test_a_round_over_real_servers_keeps_the_honest_and_drops_the_liar_and_the_broken(tickers):
    app, url = tickers
    app.prices.update(coinbase=D("67000"), kraken=D("67050.5"), bitstamp=D("66990"), binance=D("71000"))
    # Honest answers get 3 s (a loaded CI machine once took over 1 s); the slow fault sleeps 5 s.
    settings = ticker_settings(url, timeout=3.0)
    adapters = [get_spec(s.kind).build(s.config) for s in settings.sources]
    try:
        result = aggregate("BTC/USD", await observe_all(adapters, 4), settings.policy, datetime.now(timezone.utc))
        assert {v.source: v.reason for v in result.verdicts}["binance"] == "deviation"
        assert result.status == "fresh" and result.price == D("67000")
        app.faults.update(kraken="garbage", bitstamp="slow")
        app.prices["binance"] = D("67010")
        result = aggregate("BTC/USD", await observe_all(adapters, 4), settings.policy, datetime.now(timezone.utc))
        verdicts = {v.source: v.reason for v in result.verdicts}
        assert verdicts == {"coinbase": "ok", "kraken": "malformed", "bitstamp": "timeout", "binance": "ok"}
        assert result.status == "stale" and result.reason == "too_few_sources"
    finally:
        for a in adapters:
            await a.aclose()


@pytest.mark.parametrize(
    "text", ["1e5", "NaN", "Infinity", "", " 1", "1.", ".5", "--1", "1_000", "１２", "0x10", "1" * 31, "0." + "1" * 37]
)
def test_only_plain_decimal_strings_are_prices(text):
    with pytest.raises(PriceDataError):
        exact_decimal(text, "t")


def test_exact_decimal_and_scaled_keep_every_digit():
    assert exact_decimal("-0.000000000000000000000000000000000001", "t") == D("-1e-36")
    assert scaled(-5, 2) == D("-0.05")
    value = scaled(2**255 - 1, 18)
    sign, digits, exponent = value.as_tuple()
    assert (sign, exponent) == (0, -18) and int("".join(map(str, digits))) == 2**255 - 1


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"format": "ftx", "url": "http://x"}, "format"),
        ({"format": "kraken", "url": "ftp://x"}, "url"),
        ({"format": "kraken", "url": "http://x", "timeout_seconds": 0}, "timeout_seconds"),
        ({"format": "kraken", "url": "http://x", "symbol": "../../admin"}, "symbol"),
        ({"format": "kraken", "url": "http://x", "extra": 1}, "extra"),
    ],
)
def test_bad_ticker_configs_name_their_key(table, key):
    with pytest.raises(ChainConfigError) as caught:
        parse_ticker("s", {"pair": "BTC/USD", **table})
    assert caught.value.detail.startswith(f"prices.sources.s.{key}:")


@pytest.mark.parametrize("stamp", [999_999_999_999, 253_402_300_800])
async def test_a_bitstamp_time_beyond_the_year_9999_is_malformed_not_a_crash(tickers, stamp):
    app, url = tickers
    app.stamps["bitstamp"] = stamp
    a = adapter(url, "bitstamp")
    try:
        with pytest.raises(PriceDataError, match="beyond the year 9999"):
            await a.read_price()
    finally:
        await a.aclose()
