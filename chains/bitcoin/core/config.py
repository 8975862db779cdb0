"""Configuration of the Bitcoin Core RPC reserve adapter and its parser (TOML table -> dataclass)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chains.bitcoin.core.rpc import split_credentials
from chains.bitcoin.esplora.config import source_numbers, source_table, source_wallets
from chains.bitcoin.wallets import WalletSpec
from chains.errors import ChainConfigError

KIND = "bitcoin-core-rpc"
# Ranged descriptors are scanned over children [0, scan_range) per branch, widened while a coin
# sits within gap_limit of the end; this bounds the widening (same bound as the Esplora walk).
MAX_SCAN_RANGE = 100_000


@dataclass(frozen=True)
class BitcoinCoreConfig:
    """One reserve source read through one Bitcoin Core node's JSON-RPC.

    `rpc_url` may carry `user:password@` (never shown: repr=False); `rpc_cookie_path` is Core's
    `.cookie` file, read on every call. `scan_range` is how many children of each branch of a
    ranged descriptor the first scan covers; `min_confirmations` counts the tip as 1.
    """

    name: str
    rpc_url: str = field(repr=False)
    network: str
    wallets: tuple[WalletSpec, ...]
    rpc_user: str | None = None
    rpc_password: str | None = field(default=None, repr=False)
    rpc_cookie_path: str | None = None
    min_confirmations: int = 6
    max_age_seconds: int = 3 * 3600
    scan_range: int = 1000
    timeout_seconds: float = 30.0
    scan_timeout_seconds: float = 900.0
    retries: int = 3
    backoff_seconds: float = 0.5


_INTS = {
    "min_confirmations": (1, 10_000),
    "max_age_seconds": (60, 30 * 24 * 3600),
    "scan_range": (1, MAX_SCAN_RANGE),
    "retries": (0, 10),
    "gap_limit": (1, 1000),
}
_FLOATS = {
    "timeout_seconds": (0.0, 300.0, False),
    "scan_timeout_seconds": (0.0, 7200.0, False),
    "backoff_seconds": (0.0, 60.0, True),
}
_STRINGS = ("rpc_user", "rpc_password", "rpc_cookie_path")
_KNOWN = {"kind", "rpc_url", "network", "wallets", "addresses", "descriptors", *_INTS, *_FLOATS, *_STRINGS}


def parse_config(name: str, mapping: dict[str, Any]) -> BitcoinCoreConfig:
    """Build the config of reserve source `name` from its TOML table.

    Raises ChainConfigError naming the key (`reserves.<name>.<key>: ...`); never echoes the URL or
    a password. Wallets are parsed exactly as for Esplora (`source_wallets`: `[[reserves.wallets]]`
    plus the flat `addresses` / `descriptors` keys), so both backends name them alike.
    """
    where, network = source_table(name, mapping, KIND, _KNOWN)
    numbers = source_numbers(mapping, where, _INTS, _FLOATS)
    strings = {key: _string(mapping[key], f"{where}.{key}") for key in _STRINGS if key in mapping}
    if ("rpc_user" in strings) != ("rpc_password" in strings):
        raise ChainConfigError(f"{where}.rpc_user: give rpc_user together with rpc_password")
    gap_limit = numbers.pop("gap_limit", 20)
    wallets = source_wallets(name, mapping, network, gap_limit, where)
    return BitcoinCoreConfig(
        name=name,
        rpc_url=_rpc_url(mapping.get("rpc_url"), f"{where}.rpc_url"),
        network=network,
        wallets=wallets,
        rpc_user=strings.get("rpc_user"),
        rpc_password=strings.get("rpc_password"),
        rpc_cookie_path=strings.get("rpc_cookie_path"),
        **numbers,
    )


def _rpc_url(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > 2048:
        raise ChainConfigError(f"{where}: must be an http(s) URL string")
    try:
        split_credentials(value)
    except (ChainConfigError, ValueError) as exc:  # urlsplit raises ValueError on a bad port
        raise ChainConfigError(f"{where}: must be an http(s) URL with a host") from exc
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 4096:
        raise ChainConfigError(f"{where}: must be a non-empty string")
    return value
