"""The devnet's price sources: four exchange tickers over real HTTP and a PriceFeed contract on an EVM chain.

`TickerApp` answers the public ticker shapes of chains.price.formats (Coinbase, Kraken, Bitstamp,
Binance) from prices it is told, and can be told to misbehave per venue: `error` (HTTP 500),
`garbage` (not JSON), `number` (a JSON number instead of a string), `huge` (a body past any sane
cap), `slow` (answers after `slow_seconds`). Tests drive it directly; the devnet's `DevnetPrices`
moves a "true" price by a seeded random walk and lets the Binance-shaped venue deviate, freeze or
fail now and then, so that the dashboard shows every verdict.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from eth_abi import encode

from chains.devnet.evm import DevnetEvm, selector
from chains.price.feed_artifact import load_feed_artifact

VENUES = ("coinbase", "kraken", "bitstamp", "binance")
FAULTS = ("error", "garbage", "number", "huge", "slow")
CENT = Decimal("0.01")
FEED_DECIMALS = 8


@dataclass
class TickerApp:
    """ASGI app of the four ticker shapes. `prices[venue]` is what each says; `stamps[venue]` the
    Unix time Bitstamp reports (None: now); `faults[venue]` one of FAULTS or absent."""

    prices: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(VENUES, Decimal("67000.00")))
    stamps: dict[str, int | None] = field(default_factory=dict)
    faults: dict[str, str] = field(default_factory=dict)
    slow_seconds: float = 30.0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_all(self, value: Decimal) -> None:
        with self.lock:
            for venue in VENUES:
                self.prices[venue] = value

    def _route(self, path: str) -> str | None:
        if path.startswith("/v2/prices/") and path.endswith("/spot"):
            return "coinbase"
        return {"/0/public/Ticker": "kraken", "/api/v3/ticker/price": "binance"}.get(path) or (
            "bitstamp" if path.startswith("/api/v2/ticker/") else None
        )

    def _body(self, venue: str) -> tuple[int, bytes]:
        with self.lock:
            price, fault, stamp = self.prices[venue], self.faults.get(venue), self.stamps.get(venue)
        text = str(price)
        if fault == "error":
            return 500, b'{"error":"internal"}'
        if fault == "garbage":
            return 200, b"<html>maintenance</html>"
        if fault == "huge":
            return 200, b'{"price":"' + b"9" * 5_000_000 + b'"}'
        value: Any = float(price) if fault == "number" else text
        docs = {
            "coinbase": {"data": {"amount": value, "base": "BTC", "currency": "USD"}},
            "kraken": {"error": [], "result": {"XXBTZUSD": {"c": [value, "0.00100000"], "v": ["1", "2"]}}},
            "bitstamp": {"last": value, "timestamp": str(stamp if stamp is not None else int(time.time()))},
            "binance": {"symbol": "BTCUSDT", "price": value},
        }
        return 200, json.dumps(docs[venue]).encode()

    async def __call__(
        self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http":
            return
        venue = self._route(scope.get("path", ""))
        with self.lock:
            self.requests += 1
        if venue is None:
            status, body = 404, b'{"error":"not found"}'
        else:
            if self.faults.get(venue) == "slow":
                await asyncio.sleep(self.slow_seconds)
            status, body = self._body(venue)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class FeedContract:
    """contracts/PriceFeed.sol deployed on a devnet EVM chain by its owner; `submit` publishes a round."""

    def __init__(self, evm: DevnetEvm, description: str = "BTC / USD") -> None:
        self.evm = evm
        artifact = load_feed_artifact()
        args = encode(["uint8", "string"], [FEED_DECIMALS, description]).hex()
        self.address: str = evm.deploy_bytecode(artifact["bytecode"] + args)

    def submit(self, price: Decimal, updated_at: int = 0) -> None:
        answer = int(price.scaleb(FEED_DECIMALS).to_integral_value())
        data = selector("submit(int256,uint64)") + encode(["int256", "uint64"], [answer, updated_at]).hex()
        self.evm.transact(self.address, data)


@dataclass
class DevnetPrices:
    """The devnet's market: a random walk from `start`, venues within +-0.1 % of it, and Binance's
    venue misbehaving for a few ticks now and then (deviating 5 %, frozen, or failing)."""

    tickers: TickerApp
    feed: FeedContract | None
    rng: random.Random
    true_price: Decimal = Decimal("67000.00")
    trouble: str | None = None
    trouble_left: int = 0
    frozen_at: Decimal | None = None

    def tick(self) -> None:
        step = Decimal(self.rng.randint(-30, 30)) / 10_000  # +-0.3 %
        self.true_price = (self.true_price * (1 + step)).quantize(CENT, ROUND_HALF_EVEN)
        for venue in VENUES:
            noise = Decimal(self.rng.randint(-10, 10)) / 10_000
            self.tickers.prices[venue] = (self.true_price * (1 + noise)).quantize(CENT, ROUND_HALF_EVEN)
        self._misbehave()
        if self.feed is not None:
            self.feed.submit(self.true_price, int(time.time()))

    def _misbehave(self) -> None:
        if self.trouble_left == 0 and self.rng.random() < 0.08:
            self.trouble = self.rng.choice(("deviate", "freeze", "error", "garbage"))
            self.trouble_left = self.rng.randint(3, 12) if self.trouble != "freeze" else 24
            self.frozen_at = self.tickers.prices["binance"]
        if self.trouble_left == 0:
            self.tickers.faults.pop("binance", None)
            return
        self.trouble_left -= 1
        if self.trouble == "deviate":
            self.tickers.prices["binance"] = (self.true_price * Decimal("1.05")).quantize(CENT)
        elif self.trouble == "freeze" and self.frozen_at is not None:
            self.tickers.prices["binance"] = self.frozen_at
        elif self.trouble in ("error", "garbage"):
            self.tickers.faults["binance"] = self.trouble
        if self.trouble_left == 0:
            self.tickers.faults.pop("binance", None)

    def source_tables(self, ticker_url: str, rpc_url: str | None) -> list[dict[str, Any]]:
        """`[[prices.sources]]` tables of the devnet's five sources."""
        names = {"coinbase": "devnet-coinbase", "kraken": "devnet-kraken", "bitstamp": "devnet-bitstamp"}
        names["binance"] = "devnet-binance"
        tables: list[dict[str, Any]] = [
            {"name": names[v], "kind": "price-ticker", "format": v, "url": ticker_url, "timeout_seconds": 3}
            for v in VENUES
        ]
        if self.feed is not None and rpc_url is not None:
            tables.append(
                {"name": "devnet-feed", "kind": "price-feed", "rpc_url": rpc_url, "contract": self.feed.address}
            )
        return tables
