"""Configuration of one ERC-20 deployment read by the `evm-erc20` adapter, validated on construction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from chains.base import HeldAddress
from chains.deployment_table import deployment_error, deployment_values

KIND = "evm-erc20"
Finality = Literal["finalized", "confirmations"]

_CAIP2 = re.compile(r"eip155:([1-9][0-9]{0,18})")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
MAX_DECIMALS = 36
_MAX_RETRIES = 10
# Default staleness bound per finality mode, in seconds. `finalized` on Ethereum trails the head by
# two epochs (~12.8 min) and moves in 6.4-minute steps, so a fresh read can be ~19 min old.
DEFAULT_MAX_AGE_SECONDS = {"confirmations": 600, "finalized": 1800}


@dataclass(frozen=True)
class EvmErc20Config:
    """Where and how to read `totalSupply()` of one token deployment.

    `chain_id` is CAIP-2 (`eip155:<n>`) and must match the node's `eth_chainId`. Supply is read at
    the node's `finalized` block when `finality == "finalized"`, else at `latest - confirmations`
    (clamped at 0; `confirmations` is at least 1: the head itself is not confirmed).
    `expected_decimals`, when set, must equal the on-chain `decimals()`; amounts are never
    rescaled. `rpc_url` may embed an API key, so it is kept out of `repr` and of every error.
    `max_age_seconds` is carried for the engine: a reading older than that counts as stale. Left
    None it defaults by finality: 600 s, or 1800 s with `finalized` (Ethereum's finalized block
    trails the head by ~13 minutes, two epochs, so 600 s would always be stale).
    """

    name: str
    chain_id: str
    rpc_url: str = field(repr=False)
    contract: str
    expected_decimals: int | None = None
    finality: Finality = "confirmations"
    confirmations: int = 12
    timeout_seconds: float = 10
    retries: int = 3
    max_age_seconds: int | None = None
    # Declared non-circulating holders (treasury, burn, escrow; lockboxes linked in from bridge
    # deployments by the settings layer), read with balanceOf at the supply's block.
    held: tuple[HeldAddress, ...] = ()
    # The event monitor replays logs from `start_block` (the token's deployment block) with
    # eth_getLogs ranges of at most `logs_max_range` blocks.
    start_block: int = 0
    logs_max_range: int = 2000

    def __post_init__(self) -> None:
        _check_str(self, "name", self.name)
        if not _CAIP2.fullmatch(_check_str(self, "chain_id", self.chain_id)):
            raise _error(self.name, "chain_id", "not a CAIP-2 EVM chain id like 'eip155:1'")
        url = _check_str(self, "rpc_url", self.rpc_url)
        # The URL is never echoed: it may carry a provider key.
        if not re.match(r"https?://[^/\s]+", url) or any(c.isspace() for c in url):
            raise _error(self.name, "rpc_url", "not an http(s) URL")
        if not _ADDRESS.fullmatch(_check_str(self, "contract", self.contract)):
            raise _error(self.name, "contract", "not a 20-byte hex address")
        _check_address_checksum(self.name, self.contract)
        if self.expected_decimals is not None:
            _check_int(self, "expected_decimals", self.expected_decimals, 0, MAX_DECIMALS)
        if self.finality not in ("finalized", "confirmations"):
            raise _error(self.name, "finality", "must be 'finalized' or 'confirmations'")
        # 0 would read the head, which a reorg can still replace: not confirmed data.
        _check_int(self, "confirmations", self.confirmations, 1, None)
        _check_number(self, "timeout_seconds", self.timeout_seconds)
        _check_int(self, "retries", self.retries, 0, _MAX_RETRIES)
        if self.max_age_seconds is None:
            # frozen dataclass: the default depends on another field, so it is filled in here
            object.__setattr__(self, "max_age_seconds", DEFAULT_MAX_AGE_SECONDS[self.finality])
        _check_int(self, "max_age_seconds", self.max_age_seconds, 1, None)

    @property
    def chain_number(self) -> int:
        """The numeric EIP-155 chain id (`1` for `eip155:1`)."""
        return int(self.chain_id.split(":", 1)[1])


def parse_config(name: str, mapping: dict[str, Any]) -> EvmErc20Config:
    """Build an EvmErc20Config from one `[deployments.<name>]` table.

    Raises ChainConfigError naming the key (`deployments.<name>.<key>: ...`) for unknown or missing
    keys, wrong types and bad values. `kind`, when present, must be `evm-erc20`. Setting
    `confirmations` together with `finality = "finalized"` is an error: they exclude each other.
    """
    values = deployment_values(name, mapping, KIND, EvmErc20Config, ("chain_id", "rpc_url", "contract"))
    if values.get("finality") == "finalized" and "confirmations" in values:
        raise _error(name, "confirmations", "not allowed with finality = 'finalized'")
    return EvmErc20Config(name=name, **values)


_error = deployment_error


def _check_str(config: EvmErc20Config, key: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise _error(str(config.name), key, "must be a non-empty string")
    return value


def _check_int(config: EvmErc20Config, key: str, value: object, low: int, high: int | None) -> None:
    # bool is an int subclass; `confirmations = true` is a typo, not 1.
    if not isinstance(value, int) or isinstance(value, bool):
        raise _error(config.name, key, "must be an integer")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise _error(config.name, key, f"must be {bound}")


def _check_number(config: EvmErc20Config, key: str, value: object) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise _error(config.name, key, "must be a number of seconds")
    if not 0 < value <= 300:
        raise _error(config.name, key, "must be > 0 and <= 300")


def _check_address_checksum(name: str, address: str) -> None:
    """Mixed-case addresses must carry a valid EIP-55 checksum; all-lower or all-upper are accepted."""
    digits = address[2:]
    if digits.islower() or digits.isupper() or digits.isdigit():
        return
    from eth_utils import to_checksum_address  # imported here: config parsing stays light

    if to_checksum_address(address) != address:
        raise _error(name, "contract", "mixed-case address with a bad EIP-55 checksum")
