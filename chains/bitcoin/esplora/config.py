"""Configuration of the Bitcoin Esplora reserve adapter and its parser (TOML table -> dataclass)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from chains.bitcoin.descriptors import NETWORK_NAMES
from chains.bitcoin.wallets import (
    MAX_ADDRESSES,
    MAX_WALLETS,
    WALLET_NAME,
    WalletSpec,
    checked_descriptor_wallet,
    parse_wallets,
    wallet_addresses,
)
from chains.errors import ChainConfigError

KIND = "bitcoin-esplora"
MAX_DESCRIPTORS = MAX_WALLETS


@dataclass(frozen=True)
class BitcoinEsploraConfig:
    """One reserve source: named wallets of one network read through one Esplora server.

    `wallets` are in declaration order (the first wallet covering an outpoint keeps it); each is a
    checked descriptor (scanned with its own gap limit) or canonical addresses.
    `min_confirmations` counts the tip as 1; `max_age_seconds` is carried for the engine (a
    reading whose tip is older is stale).
    """

    name: str
    esplora_url: str = field(repr=False)  # may carry an API key
    network: str
    wallets: tuple[WalletSpec, ...] = ()
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
_KNOWN = {"kind", "esplora_url", "network", "addresses", "descriptors", "wallets", *_INTS, *_FLOATS}


def parse_config(name: str, mapping: dict[str, Any]) -> BitcoinEsploraConfig:
    """Build the config of reserve source `name` from its TOML table.

    Raises ChainConfigError naming the key (`reserves.<name>.<key>: ...`) for unknown keys, wrong
    types, values out of range, no wallet, or addresses/descriptors of another network.
    """
    where, network = source_table(name, mapping, KIND, _KNOWN)
    numbers = source_numbers(mapping, where, _INTS, _FLOATS)
    wallets = source_wallets(name, mapping, network, numbers.pop("gap_limit", 20), where)
    return BitcoinEsploraConfig(
        name=name,
        esplora_url=_url(mapping.get("esplora_url"), f"{where}.esplora_url"),
        network=network,
        wallets=wallets,
        **numbers,
    )


def source_wallets(
    name: str, mapping: dict[str, Any], network: str, gap_limit: int, where: str
) -> tuple[WalletSpec, ...]:
    """The wallets of one source: `[[wallets]]` tables first, then the flat keys (a wallet named
    after the source for `addresses`, "<source>-<i+1>" for each of `descriptors`, with the
    source's `gap_limit`). Names unique, at most MAX_WALLETS and MAX_ADDRESSES in all.
    """
    wallets = list(parse_wallets(mapping["wallets"], network, f"{where}.wallets")) if "wallets" in mapping else []
    if mapping.get("addresses", []) != []:
        addresses = wallet_addresses(mapping["addresses"], network, f"{where}.addresses")
        wallets.append(WalletSpec(name=_flat_name(name, where), network=network, addresses=addresses))
    texts = _string_list(mapping.get("descriptors", []), MAX_DESCRIPTORS, f"{where}.descriptors")
    for i, text in enumerate(texts):
        flat = _flat_name(f"{name}-{i + 1}", where)
        wallets.append(checked_descriptor_wallet(flat, network, text, None, gap_limit, f"{where}.descriptors[{i}]"))
    if not wallets:
        raise ChainConfigError(f"{where}.wallets: declare at least one wallet (or addresses / descriptors)")
    if len(wallets) > MAX_WALLETS:
        raise ChainConfigError(
            f"{where}.wallets: at most {MAX_WALLETS} wallets, flat addresses and descriptors included"
        )
    names = [w.name for w in wallets]
    for i, wallet_name in enumerate(names):
        if wallet_name in names[:i]:
            raise ChainConfigError(f"{where}.wallets: wallet name {wallet_name!r} declared twice")
    if sum(len(w.addresses) for w in wallets) > MAX_ADDRESSES:
        raise ChainConfigError(f"{where}.addresses: at most {MAX_ADDRESSES} addresses in all wallets")
    return tuple(wallets)


def _flat_name(name: str, where: str) -> str:
    # Source names are checked by the settings, but the wallet rule is stricter (64 chars, no spaces).
    if not WALLET_NAME.fullmatch(name):
        raise ChainConfigError(f"{where}: source name {name!r} cannot name a wallet; declare [[wallets]] instead")
    return name


def source_table(name: str, mapping: Any, kind: str, known: set[str]) -> tuple[str, str]:
    """`(where, network)` of reserve source `name` after the checks every Bitcoin source kind shares:
    a table, no unknown key, its own kind, a known network. ChainConfigError names the key."""
    where = f"reserves.{name}"
    if not isinstance(mapping, dict):
        raise ChainConfigError(f"{where}: must be a table")
    unknown = sorted(set(map(str, mapping)) - known)
    if unknown:
        raise ChainConfigError(f"{where}.{unknown[0]}: unknown key")
    if mapping.get("kind", kind) != kind:
        raise ChainConfigError(f"{where}.kind: must be {kind!r}")
    return where, _network(mapping.get("network"), f"{where}.network")


def source_numbers(mapping: dict[str, Any], where: str, ints: dict, floats: dict) -> dict[str, Any]:
    """The integer (`key -> (low, high)`) and float (`key -> (low, high, low allowed)`) keys present."""
    numbers: dict[str, Any] = {}
    for key, (low, high) in ints.items():
        if key in mapping:
            numbers[key] = _int(mapping[key], low, high, f"{where}.{key}")
    for key, (low, high, closed) in floats.items():
        if key in mapping:
            numbers[key] = _float(mapping[key], low, high, closed, f"{where}.{key}")
    return numbers


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
