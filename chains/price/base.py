"""What a price source reads and how: one reading (exact decimal, time, source), the adapter protocol.

A price is never a float. `PriceReading.value` is a `decimal.Decimal` parsed from the source's
own text (tickers) or from an integer and its decimals (feeds), so no digit is lost or invented.
Zero and negative values are returned as read: the aggregate (reserves.prices) classifies them,
so that its verdict names what the source said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from chains.errors import ChainDataError, ChainUnavailable

# Digits a value may carry before and after the point; anything longer is garbage, not a price.
MAX_INTEGER_DIGITS = 30
MAX_FRACTION_DIGITS = 36


class PriceTimeout(ChainUnavailable):
    """The source did not answer within its timeout."""

    code = "price_timeout"


class PriceDataError(ChainDataError):
    """The source answered with something that is not a price (garbage, wrong shape, oversized body)."""

    code = "price_malformed"


@dataclass(frozen=True)
class PriceReading:
    """One source's price of `pair` (e.g. "BTC/USD": quote units per base unit).

    `time` is when the source says the price was made (a feed's `updatedAt`, a ticker's
    timestamp) or, for tickers that carry none, when the answer arrived; UTC, tz-aware.
    `kind` is the adapter kind that read it.
    """

    source: str
    kind: str
    pair: str
    value: Decimal
    time: datetime


@runtime_checkable
class PriceAdapter(Protocol):
    """Reads the price of one pair from one source."""

    kind: str
    name: str

    async def read_price(self) -> PriceReading: ...

    async def aclose(self) -> None: ...


def exact_decimal(text: object, where: str) -> Decimal:
    """A plain decimal string ("67012.5", "-3") as an exact Decimal; PriceDataError for anything
    else: floats, exponents, NaN, infinities, empty strings, too many digits."""
    if not isinstance(text, str) or not 0 < len(text) <= MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS + 2:
        raise PriceDataError(f"{where}: not a decimal string")
    body = text[1:] if text[:1] == "-" else text
    whole, dot, fraction = body.partition(".")
    if (
        not whole.isascii()
        or not whole.isdigit()
        or (dot and (not fraction.isascii() or not fraction.isdigit()))
        or len(whole) > MAX_INTEGER_DIGITS
        or len(fraction) > MAX_FRACTION_DIGITS
    ):
        raise PriceDataError(f"{where}: not a plain decimal ({text[:40]!r})")
    return Decimal(text)


def scaled(answer: int, decimals: int) -> Decimal:
    """`answer / 10**decimals` exactly (a feed's integer answer and its decimals): built from its
    digits, so no context precision rounds a 77-digit int256."""
    sign, digits, _ = Decimal(answer).as_tuple()
    return Decimal((sign, digits, -decimals))
