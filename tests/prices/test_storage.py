"""Rounds stored on SQLite and PostgreSQL: verdicts remembered across rounds, history from raw rows and
rollups alike, price_at for providers, and retention."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

from chains.registry import get_spec
from reserves.prices.lookup import price_at
from reserves.prices.round import run_round
from reserves.read.prices import PriceService
from reserves.storage import price_series
from tests.pg import model_drift
from tests.prices.conftest import ticker_settings

# Rounds are dated from the next hour on, so that tickers' arrival times (now) are never in their future.
T0 = datetime.now(timezone.utc).replace(minute=0, second=7, microsecond=0) + timedelta(hours=1)


def test_the_price_tables_match_their_models(db_url):
    from reserves.storage.migrate import upgrade

    upgrade(db_url)
    assert [d for d in model_drift(db_url) if "price" in str(d)] == []


async def test_rounds_are_stored_remembered_and_served(migrated_db, tickers):
    app, url = tickers
    settings = ticker_settings(url, heartbeat_seconds=120, max_age_seconds=86_400)
    adapters = [get_spec(s.kind).build(s.config) for s in settings.sources]
    app.stamps["bitstamp"] = int(T0.timestamp())
    try:
        for i in range(8):  # one round every 30 s; binance never moves, so it freezes after 120 s
            for venue, base in (("coinbase", 67000), ("kraken", 67010), ("bitstamp", 66990)):
                app.prices[venue] = D(base + i) + D("0.25")
            app.prices["binance"] = D("67005.5")
            result = await run_round(migrated_db, settings, adapters, T0 + timedelta(seconds=30 * i), 2)
    finally:
        for a in adapters:
            await a.aclose()
    assert {v.source: v.reason for v in result.verdicts}["binance"] == "frozen"
    assert result.status == "fresh" and result.price == D("67007.25")

    service = PriceService(migrated_db, settings)
    body = await service.latest(now=T0 + timedelta(seconds=215))
    assert body["price"] == "67007.25000000" and body["price_e8"] == "6700725000000" and body["status"] == "fresh"
    binance = next(s for s in body["sources"] if s["name"] == "binance")
    assert binance == {
        "name": "binance",
        "kind": "price-ticker",
        "value": "67005.5",
        "time": binance["time"],
        "kept": False,
        "reason": "frozen",
        "detail": None,
        "unchanged_since": T0.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    late = await service.latest(now=T0 + timedelta(seconds=210 + 91))  # three intervals of 30 s without a round
    assert (late["status"], late["reason"]) == ("stale", "no_recent_round")

    # The same buckets from the raw rounds and from the hourly rollup.
    async with migrated_db.sessions() as session:
        start, end = T0.replace(minute=0, second=0), T0.replace(minute=0, second=0) + timedelta(hours=1)
        raw = await price_series.history(session, settings.pair, start=start, end=end, bucket_seconds=3600, raw=True)
        rolled = await price_series.history(session, settings.pair, start=start, end=end, bucket_seconds=3600)
    assert raw == rolled and len(raw) == 1
    assert (raw[0].rounds, raw[0].fresh, raw[0].min_e8, raw[0].last_e8) == (
        8,
        8,
        6_700_287_500_000,
        6_700_725_000_000,
    )  # binance in the first rounds

    at = await price_at(migrated_db, "BTC/USD", T0 + timedelta(seconds=45))
    assert (
        at is not None and at.time == T0 + timedelta(seconds=30) and at.price_e8 == 6_700_337_500_000
    )  # (67001.25 + 67005.5) / 2
    assert await price_at(migrated_db, "BTC/USD", T0 - timedelta(seconds=1)) is None
    assert await price_at(migrated_db, "BTC/USD", T0 + timedelta(hours=2)) is None  # older than max_age

    async with migrated_db.sessions() as session:
        async with session.begin():
            dropped = await price_series.prune(session, older_than=T0 + timedelta(seconds=100))
    assert dropped == 4 * 5  # four rounds and their four verdicts each
    async with migrated_db.sessions() as session:
        kept = await price_series.history(session, settings.pair, start=start, end=end, bucket_seconds=3600)
    assert kept == rolled  # the rollups outlive the raw rounds


async def test_a_stale_round_is_not_a_providers_price(migrated_db, tickers):
    app, url = tickers
    # Three sources, one of them failing: two kept, fewer than min_sources (3). (Two sources declared
    # with min_sources 3 would make every round stale: the settings refuse that.)
    settings = ticker_settings(url, venues=("coinbase", "kraken", "bitstamp"))
    app.faults["bitstamp"] = "error"
    adapters = [get_spec(s.kind).build(s.config) for s in settings.sources]
    try:
        result = await run_round(migrated_db, settings, adapters, T0, 2)
    finally:
        for a in adapters:
            await a.aclose()
    assert result.status == "stale"
    assert await price_at(migrated_db, "BTC/USD", T0) is None
    stale = await price_at(migrated_db, "BTC/USD", T0, allow_stale=True)
    assert stale is not None and stale.status == "stale" and stale.reason == "too_few_sources"


async def test_a_frozen_source_failing_every_other_round_is_still_frozen_across_stored_rounds(migrated_db, tickers):
    app, url = tickers
    settings = ticker_settings(url, heartbeat_seconds=120, max_age_seconds=86_400)
    adapters = [get_spec(s.kind).build(s.config) for s in settings.sources]
    app.stamps["bitstamp"] = int(T0.timestamp())
    seen = []
    try:
        for i in range(8):  # a round every 30 s; binance never moves and fails every other round
            for venue, base in (("coinbase", 67000), ("kraken", 67010), ("bitstamp", 66990)):
                app.prices[venue] = D(base + i) + D("0.25")
            app.prices["binance"] = D("67005.5")
            if i % 2:
                app.faults["binance"] = "error"
            else:
                app.faults.pop("binance", None)
            result = await run_round(migrated_db, settings, adapters, T0 + timedelta(seconds=30 * i), 2)
            seen.append({v.source: v.reason for v in result.verdicts}["binance"])
    finally:
        for a in adapters:
            await a.aclose()
    # Said at 0 s; at 150 s and 210 s the same value is past the 120 s heartbeat, failures in between.
    assert seen == ["ok", "unavailable", "ok", "unavailable", "ok", "unavailable", "frozen", "unavailable"], seen
