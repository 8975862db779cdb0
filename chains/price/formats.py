"""Public ticker formats: where each exchange's JSON puts the last price and its time.

| format | request | answer (the members we read) |
| --- | --- | --- |
| `coinbase` | `GET /v2/prices/{BASE}-{QUOTE}/spot` | `{"data": {"amount": "67012.45", "base", "currency"}}` |
| `kraken` | `GET /0/public/Ticker?pair={symbol}` | `{"error": [], "result": {"<pair>": {"c": ["price", "lot"]}}}` |
| `bitstamp` | `GET /api/v2/ticker/{symbol}/` | `{"last": "67012", "timestamp": "1700000000", ...}` |
| `binance` | `GET /api/v3/ticker/price?symbol={symbol}` | `{"symbol": "BTCUSDT", "price": "67012.45000000"}` |

Prices are JSON strings in all four; a JSON number is refused (it may already have been rounded
through a double on the way). Only Bitstamp dates its answer; the others are dated on arrival.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from chains.price.base import PriceDataError, exact_decimal

Parsed = tuple[Decimal, datetime | None]


@dataclass(frozen=True)
class TickerFormat:
    """One exchange's ticker: the request path for a symbol, its query, and the parser of its JSON."""

    name: str
    path: Callable[[str], str]
    query: Callable[[str], dict[str, str]]
    parse: Callable[[Any, str], Parsed]
    default_symbol: Callable[[str, str], str]  # (base, quote) -> the exchange's symbol


def _member(obj: Any, key: str, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise PriceDataError(f"{where}: no {key!r} member")
    return obj[key]


def _coinbase(doc: Any, where: str) -> Parsed:
    return exact_decimal(_member(_member(doc, "data", where), "amount", where), f"{where}: data.amount"), None


def _kraken(doc: Any, where: str) -> Parsed:
    errors = _member(doc, "error", where)
    if errors:
        raise PriceDataError(f"{where}: exchange error {str(errors)[:120]}")
    result = _member(doc, "result", where)
    if not isinstance(result, dict) or len(result) != 1:
        raise PriceDataError(f"{where}: result must hold exactly one pair")
    (ticker,) = result.values()
    closed = _member(ticker, "c", where)
    if not isinstance(closed, list) or not closed:
        raise PriceDataError(f"{where}: c must be [price, lot volume]")
    return exact_decimal(closed[0], f"{where}: c[0]"), None


MAX_STAMP = 253_402_300_800  # 10000-01-01T00:00:00Z in Unix seconds


def _bitstamp(doc: Any, where: str) -> Parsed:
    value = exact_decimal(_member(doc, "last", where), f"{where}: last")
    stamp = _member(doc, "timestamp", where)
    if not isinstance(stamp, str) or not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise PriceDataError(f"{where}: timestamp must be Unix seconds as a string")
    if int(stamp) >= MAX_STAMP:  # 12 digits reach the year 33658, past what a datetime holds
        raise PriceDataError(f"{where}: timestamp {stamp} is beyond the year 9999")
    return value, datetime.fromtimestamp(int(stamp), timezone.utc)


def _binance(doc: Any, where: str) -> Parsed:
    return exact_decimal(_member(doc, "price", where), f"{where}: price"), None


FORMATS: dict[str, TickerFormat] = {
    f.name: f
    for f in (
        TickerFormat("coinbase", lambda s: f"/v2/prices/{s}/spot", lambda s: {}, _coinbase, lambda b, q: f"{b}-{q}"),
        TickerFormat(
            "kraken",
            lambda s: "/0/public/Ticker",
            lambda s: {"pair": s},
            _kraken,
            lambda b, q: ("XBT" if b == "BTC" else b) + q,
        ),
        TickerFormat(
            "bitstamp", lambda s: f"/api/v2/ticker/{s}/", lambda s: {}, _bitstamp, lambda b, q: (b + q).lower()
        ),
        TickerFormat(
            "binance",
            lambda s: "/api/v3/ticker/price",
            lambda s: {"symbol": s},
            _binance,
            lambda b, q: b + ("USDT" if q == "USD" else q),
        ),
    )
}
