"""Configuration of the Bitcoin Esplora reserve adapter and its parser (TOML table -> dataclass)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chains.bitcoin.descriptors import NETWORK_NAMES, normalize_address, parse_descriptor
from chains.errors import ChainConfigError

KIND = "bitcoin-esplora"
MAX_ADDRESSES = 10_000
MAX_DESCRIPTORS = 100


@dataclass(frozen=True)
class BitcoinEsploraConfig:
    """One reserve source: addresses and descriptors of one network read through one Esplora server.

    `addresses` are canonical (bech32 lowercase); `descriptors` are checked, checksum stripped.
    `min_confirmations` counts the tip as 1; `gap_limit` is consecutive unused child addresses;
    `max_age_seconds` is carried for the engine (a reading whose tip is older is stale).
    """

    name: str
    esplora_url: str
    network: str
    addresses: tuple[str, ...] = ()
    descriptors: tuple[str, ...] = ()
    gap_limit: int = 20
    min_confirmations: int = 6
    timeout_seconds: float = 10.0
    retries: int = 3
    concurrency: int = 8
    max_age_seconds: int = 3 * 3600
    backoff_seconds: float = 0.5


# key -> (low, high) for integer settings
_INTS = {
    "gap_limit": (1, 1000),
    "min_confirmations": (1, 10_000),
    "retries": (0, 10),
    "concurrency": (1, 64),
    "max_age_seconds": (60, 30 * 24 * 3600),
}
# key -> (low, high, low allowed) for float settings
_FLOATS = {"timeout_seconds": (0.0, 300.0, False), "backoff_seconds": (0.0, 60.0, True)}
_KNOWN = {"kind", "esplora_url", "network", "addresses", "descriptors", *_INTS, *_FLOATS}


def parse_config(name: str, mapping: dict[str, Any]) -> BitcoinEsploraConfig:
    """Build the config of reserve source `name` from its TOML table.

    Raises ChainConfigError naming the key (`reserves.<name>.<key>: ...`) for unknown keys, wrong
    types, values out of range, no address nor descriptor, or addresses/descriptors of another network.
    """
    where = f"reserves.{name}"
    if not isinstance(mapping, dict):
        raise ChainConfigError(f"{where}: must be a table")
    unknown = sorted(set(map(str, mapping)) - _KNOWN)
    if unknown:
        raise ChainConfigError(f"{where}.{unknown[0]}: unknown key")
    if mapping.get("kind", KIND) != KIND:
        raise ChainConfigError(f"{where}.kind: must be {KIND!r}")
    network = _network(mapping.get("network"), f"{where}.network")
    addresses = _addresses(mapping.get("addresses", []), network, f"{where}.addresses")
    descriptors = _descriptors(mapping.get("descriptors", []), network, f"{where}.descriptors")
    if not addresses and not descriptors:
        raise ChainConfigError(f"{where}.addresses: declare at least one address or descriptor")
    numbers: dict[str, Any] = {}
    for key, (low, high) in _INTS.items():
        if key in mapping:
            numbers[key] = _int(mapping[key], low, high, f"{where}.{key}")
    for key, (low, high, closed) in _FLOATS.items():
        if key in mapping:
            numbers[key] = _float(mapping[key], low, high, closed, f"{where}.{key}")
    return BitcoinEsploraConfig(
        name=name,
        esplora_url=_url(mapping.get("esplora_url"), f"{where}.esplora_url"),
        network=network,
        addresses=addresses,
        descriptors=descriptors,
        **numbers,
    )


def _network(value: Any, where: str) -> str:
    if value not in NETWORK_NAMES:
        raise ChainConfigError(f"{where}: must be one of {', '.join(NETWORK_NAMES)}")
    return value


def _url(value: Any, where: str) -> str:
    # The URL may carry an API key; errors describe it without echoing it.
    if not isinstance(value, str) or len(value) > 2048:
        raise ChainConfigError(f"{where}: must be an http(s) URL string")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ChainConfigError(f"{where}: must be an http(s) URL with a host")
    return value


def _string_list(value: Any, limit: int, where: str) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise ChainConfigError(f"{where}: must be a list of strings")
    if len(value) > limit:
        raise ChainConfigError(f"{where}: at most {limit} entries")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise ChainConfigError(f"{where}[{i}]: must be a string")
    return list(value)


def _addresses(value: Any, network: str, where: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for i, item in enumerate(_string_list(value, MAX_ADDRESSES, where)):
        try:
            seen[normalize_address(item.strip(), network)] = None
        except ChainConfigError as exc:
            raise ChainConfigError(f"{where}[{i}]: {exc.detail}") from exc
    return tuple(seen)


def _descriptors(value: Any, network: str, where: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for i, item in enumerate(_string_list(value, MAX_DESCRIPTORS, where)):
        try:
            seen[parse_descriptor(item, network).text] = None
        except ChainConfigError as exc:
            raise ChainConfigError(f"{where}[{i}]: {exc.detail}") from exc
    return tuple(seen)


def _int(value: Any, low: int, high: int, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ChainConfigError(f"{where}: must be an integer >= {low} and <= {high}")
    return value


def _float(value: Any, low: float, high: float, closed: bool, where: str) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    # NaN fails both comparisons, so it is refused too.
    if not ok or not (low <= value if closed else low < value) or not value <= high:
        raise ChainConfigError(f"{where}: must be a number {'>=' if closed else '>'} {low} and <= {high}")
    return float(value)
