"""Configuration of one SPL token mint read by the `solana-spl` adapter, validated on construction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from chains.base import HeldAddress
from chains.deployment_table import deployment_error, deployment_values
from chains.solana.base58 import decode32

KIND = "solana-spl"
COMMITMENT = "finalized"
# CAIP-2 for Solana: the first 32 characters of the cluster's base58 genesis hash.
_CAIP2 = re.compile(r"solana:([1-9A-HJ-NP-Za-km-z]{32})")
MAX_DECIMALS = 36  # SPL stores decimals as u8; more than this is no Bitcoin-backed token
_MAX_RETRIES = 10
# `finalized` trails the tip by ~32 slots (~13 s), so a fresh read is seconds old; 10 minutes
# leaves room for a few failed rounds before the deployment turns stale.
DEFAULT_MAX_AGE_SECONDS = 600


@dataclass(frozen=True)
class SolanaSplConfig:
    """Where and how to read `getTokenSupply` of one SPL mint.

    `chain_id` is CAIP-2 (`solana:<first 32 chars of the genesis hash>`, mainnet
    `solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp`) and must match the node's `getGenesisHash` on every
    read. `mint` is the base58 32-byte mint address. `expected_decimals` is required and must equal
    the mint's decimals: amounts are never rescaled. `commitment` can only be "finalized" (only
    rooted data counts). `rpc_url` may embed an API key, so it is kept out of `repr` and errors.
    """

    name: str
    chain_id: str
    rpc_url: str = field(repr=False)
    mint: str
    expected_decimals: int
    commitment: str = COMMITMENT
    timeout_seconds: float = 10
    retries: int = 3
    max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS
    held: tuple[HeldAddress, ...] = ()  # not readable at the supply's slot yet: must stay empty

    def __post_init__(self) -> None:
        _check_str(self.name, "name", self.name)
        if not _CAIP2.fullmatch(_check_str(self.name, "chain_id", self.chain_id)):
            raise _error(self.name, "chain_id", "not a CAIP-2 Solana chain id like 'solana:<32 base58 chars>'")
        url = _check_str(self.name, "rpc_url", self.rpc_url)
        # The URL is never echoed: it may carry a provider key.
        if not re.match(r"https?://[^/\s]+", url) or any(c.isspace() for c in url):
            raise _error(self.name, "rpc_url", "not an http(s) URL")
        if decode32(_check_str(self.name, "mint", self.mint)) is None:
            raise _error(self.name, "mint", "not a base58 32-byte public key")
        _check_int(self.name, "expected_decimals", self.expected_decimals, 0, MAX_DECIMALS)
        if self.commitment != COMMITMENT:
            # processed/confirmed slots can still be rolled back: not confirmed data.
            raise _error(self.name, "commitment", f"must be {COMMITMENT!r}")
        _check_number(self.name, "timeout_seconds", self.timeout_seconds)
        _check_int(self.name, "retries", self.retries, 0, _MAX_RETRIES)
        _check_int(self.name, "max_age_seconds", self.max_age_seconds, 1, None)
        if self.held != ():
            # getTokenSupply answers at a rooted slot; getTokenAccountBalance cannot be pinned to
            # it, so a held balance would come from another slot than the supply it is taken from.
            raise _error(
                self.name,
                "held",
                "not supported for solana-spl: token account balances cannot be read at the supply's slot",
            )

    @property
    def contract(self) -> str:
        """The token's address, as every supply config names it (SupplySourceConfig): the mint."""
        return self.mint

    @property
    def genesis_prefix(self) -> str:
        """The CAIP-2 reference: the first 32 characters of the expected genesis hash."""
        return self.chain_id.split(":", 1)[1]


def parse_config(name: str, mapping: dict[str, Any]) -> SolanaSplConfig:
    """Build a SolanaSplConfig from one `[deployments.<name>]` table.

    Raises ChainConfigError naming the key (`deployments.<name>.<key>: ...`) for unknown or missing
    keys, wrong types and bad values. `kind`, when present, must be `solana-spl`. `exclusions` is
    refused: token account balances cannot be read at the supply's slot, so `held` stays empty.
    """
    if isinstance(mapping, dict) and "exclusions" in mapping:
        raise _error(
            name,
            "exclusions",
            "not supported for solana-spl: token account balances cannot be read at the supply's slot",
        )
    if isinstance(mapping, dict) and "held" in mapping:
        raise _error(name, "held", "unknown key; holders are not supported for solana-spl")
    values = deployment_values(
        name, mapping, KIND, SolanaSplConfig, ("chain_id", "rpc_url", "mint", "expected_decimals")
    )
    return SolanaSplConfig(name=name, **values)


_error = deployment_error


def _check_str(name: object, key: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise _error(str(name), key, "must be a non-empty string")
    return value


def _check_int(name: str, key: str, value: object, low: int, high: int | None) -> None:
    # bool is an int subclass; `retries = true` is a typo, not 1.
    if not isinstance(value, int) or isinstance(value, bool):
        raise _error(name, key, "must be an integer")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise _error(name, key, f"must be {bound}")


def _check_number(name: str, key: str, value: object) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise _error(name, key, "must be a number of seconds")
    if not 0 < value <= 300:
        raise _error(name, key, "must be > 0 and <= 300")
