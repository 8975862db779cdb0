"""Configurations of the price adapters, one frozen dataclass per kind, parsed from one TOML table.

The settings pass the `[prices]` pair in as `pair` ("BTC/USD"); everything else is the source's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from chains.errors import ChainConfigError
from chains.hexes import is_evm_address
from chains.price.formats import FORMATS

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_BYTES = 65_536
MAX_CHARS = 2000


@dataclass(frozen=True)
class TickerConfig:
    """An exchange ticker over HTTP: `url` is the API's base (no path), `format` one of
    chains.price.formats.FORMATS, `symbol` the exchange's name of the pair (derived from `pair`
    when not given). The whole request must end within `timeout_seconds`; a body beyond
    `max_bytes` is refused."""

    name: str
    pair: str
    format: str
    url: str = field(repr=False)
    symbol: str
    timeout_seconds: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class FeedConfig:
    """An `AggregatorV3Interface` contract (Chainlink's, or contracts/PriceFeed.sol) on an EVM chain,
    read with `decimals()` and `latestRoundData()` through web3 at `rpc_url`."""

    name: str
    pair: str
    rpc_url: str = field(repr=False)
    contract: str
    timeout_seconds: float = DEFAULT_TIMEOUT


def _where(name: str, key: str) -> str:
    return f"prices.sources.{name}.{key}"


def _str(name: str, t: dict[str, Any], key: str, default: str | None = None) -> str:
    value = t.pop(key, default)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_CHARS:
        raise ChainConfigError(f"{_where(name, key)}: required, a non-empty string of at most {MAX_CHARS} characters")
    return value


def _num(name: str, t: dict[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    value = t.pop(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise ChainConfigError(f"{_where(name, key)}: a number from {lo:g} to {hi:g}")
    return float(value)


def _int(name: str, t: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = t.pop(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ChainConfigError(f"{_where(name, key)}: an integer from {lo} to {hi}")
    return value


def _url(name: str, t: dict[str, Any], key: str, *, query: bool) -> str:
    """An http(s) URL with a host, no credentials, no fragment (a query only when `query`). Errors never
    echo it: it may carry a provider's key (in its path or query, given through `*_env` or `*_file`)."""
    url, where = _str(name, t, key), _where(name, key)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port out of range raises here
    except ValueError as exc:
        raise ChainConfigError(f"{where}: an http(s) URL with a host") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ChainConfigError(f"{where}: an http(s) URL with a host")
    # urlsplit drops tabs and line breaks silently; they have no place in a URL, nor has any control character.
    if any(c.isspace() or not c.isprintable() for c in url):
        raise ChainConfigError(f"{where}: no spaces or control characters")
    if parts.username is not None or parts.password is not None:
        raise ChainConfigError(f"{where}: no user name or password in the URL (a price source needs none)")
    if parts.fragment or "#" in url or (parts.query and not query):
        raise ChainConfigError(f"{where}: no {'fragment' if query else 'query or fragment'} (the API's base URL)")
    return url.rstrip("/")


def _done(name: str, t: dict[str, Any]) -> None:
    if t:
        raise ChainConfigError(f"{_where(name, sorted(t)[0])}: unknown key")


def _pair(name: str, t: dict[str, Any]) -> tuple[str, str, str]:
    pair = _str(name, t, "pair")
    base, slash, quote = pair.partition("/")
    if not slash or not pair.isascii() or not base.isalnum() or not quote.isalnum():
        raise ChainConfigError(f"{_where(name, 'pair')}: BASE/QUOTE, e.g. BTC/USD")
    return pair, base.upper(), quote.upper()


def parse_ticker(name: str, table: dict[str, Any]) -> TickerConfig:
    t = dict(table)
    pair, base, quote = _pair(name, t)
    fmt = _str(name, t, "format")
    if fmt not in FORMATS:
        raise ChainConfigError(f"{_where(name, 'format')}: one of {', '.join(FORMATS)}")
    symbol = _str(name, t, "symbol", FORMATS[fmt].default_symbol(base, quote))
    if not (symbol.isascii() and symbol.replace("-", "").replace("_", "").isalnum()) or len(symbol) > 32:
        raise ChainConfigError(f"{_where(name, 'symbol')}: letters, digits, '-' and '_', at most 32")
    config = TickerConfig(
        name=name,
        pair=pair,
        format=fmt,
        url=_url(name, t, "url", query=False),
        symbol=symbol,
        timeout_seconds=_num(name, t, "timeout_seconds", DEFAULT_TIMEOUT, 0.1, 120),
        max_bytes=_int(name, t, "max_bytes", DEFAULT_MAX_BYTES, 256, 4_194_304),
    )
    _done(name, t)
    return config


def parse_feed(name: str, table: dict[str, Any]) -> FeedConfig:
    t = dict(table)
    pair, _, _ = _pair(name, t)
    contract = _str(name, t, "contract")
    if not is_evm_address(contract):
        raise ChainConfigError(f"{_where(name, 'contract')}: an EVM address (0x and 40 hex digits)")
    config = FeedConfig(
        name=name,
        pair=pair,
        rpc_url=_url(name, t, "rpc_url", query=True),
        contract=contract,
        timeout_seconds=_num(name, t, "timeout_seconds", DEFAULT_TIMEOUT, 0.1, 120),
    )
    _done(name, t)
    return config
