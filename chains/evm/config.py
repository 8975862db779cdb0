"""Configuration of one ERC-20 deployment read by the `evm-erc20` adapter, validated on construction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from chains.base import HeldAddress
from chains.deployment_table import deployment_error, deployment_values
from chains.evm.held import check_held, checksum_ok, parse_exclusions
from chains.hexes import is_evm_address

KIND = "evm-erc20"
Finality = Literal["finalized", "confirmations"]

_CAIP2 = re.compile(r"eip155:([1-9][0-9]{0,18})")
MAX_DECIMALS = 36
_MAX_RETRIES = 10
MAX_RPC_URLS = 7
_MAX_URL_CHARS = 2048
MAX_LOGS_RANGE = 1_000_000
_MAX_BLOCK = 2**63 - 1
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
    rescaled. `rpc_urls` (1 to 7 distinct endpoints of the same chain) are read together and
    `quorum` of them must answer and agree (default a majority, n // 2 + 1); `rpc_url` is the
    first of them, kept for code that knows one endpoint. Give exactly one of `rpc_url` and
    `rpc_urls`. URLs may embed an API key, so they are kept out of `repr` and of every error.
    `max_age_seconds` is carried for the engine: a reading older than that counts as stale. Left
    None it defaults by finality: 600 s, or 1800 s with `finalized` (Ethereum's finalized block
    trails the head by ~13 minutes, two epochs, so 600 s would always be stale).
    """

    name: str
    chain_id: str
    rpc_url: str | None = field(default=None, repr=False)
    contract: str = ""
    expected_decimals: int | None = None
    finality: Finality = "confirmations"
    confirmations: int = 12
    timeout_seconds: float = 10
    retries: int = 3
    # Typed int: None only stands for "by finality" until __post_init__ fills it in.
    max_age_seconds: int = None  # type: ignore[assignment]  # None until __post_init__ fills it by finality
    # Declared non-circulating holders (treasury, burn, escrow; lockboxes linked in from bridge
    # deployments by the settings layer), read with balanceOf at the supply's block.
    held: tuple[HeldAddress, ...] = ()
    # The event monitor replays logs from `start_block` (the token's deployment block) with
    # eth_getLogs ranges of at most `logs_max_range` blocks.
    start_block: int = 0
    logs_max_range: int = 2000
    rpc_urls: tuple[str, ...] = field(default=(), repr=False)
    quorum: int | None = None

    def __post_init__(self) -> None:
        _check_str(self, "name", self.name)
        if not _CAIP2.fullmatch(_check_str(self, "chain_id", self.chain_id)):
            raise _error(self.name, "chain_id", "not a CAIP-2 EVM chain id like 'eip155:1'")
        self._check_endpoints()
        if not is_evm_address(_check_str(self, "contract", self.contract)):
            raise _error(self.name, "contract", "not a 20-byte hex address")
        if not checksum_ok(self.contract):
            raise _error(self.name, "contract", "mixed-case address with a bad EIP-55 checksum")
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
        check_held(self.name, self.held)
        _check_int(self, "start_block", self.start_block, 0, _MAX_BLOCK)
        _check_int(self, "logs_max_range", self.logs_max_range, 1, MAX_LOGS_RANGE)

    def _check_endpoints(self) -> None:
        """Fill `rpc_urls` from `rpc_url` (or the reverse) and check them and `quorum`.

        Both may be set only when `rpc_url` is `rpc_urls[0]`: that is how a built config looks,
        and dataclasses.replace passes both back in. URLs are never echoed (they may hold keys).
        """
        urls, single = self.rpc_urls, self.rpc_url
        if single is not None and urls and (not isinstance(urls, (tuple, list)) or not urls or urls[0] != single):
            raise _error(self.name, "rpc_urls", "give either rpc_url or rpc_urls, not both")
        if not urls:
            if single is None:
                raise _error(self.name, "rpc_url", "missing (or give rpc_urls)")
            urls = (_check_url(self.name, "rpc_url", single),)
        urls = _check_urls(self.name, urls)
        object.__setattr__(self, "rpc_urls", urls)
        object.__setattr__(self, "rpc_url", urls[0])
        if self.quorum is None:
            object.__setattr__(self, "quorum", len(urls) // 2 + 1)
        _check_int(self, "quorum", self.quorum, 1, len(urls))

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
    table = dict(mapping) if isinstance(mapping, dict) else mapping
    exclusions = table.pop("exclusions", None) if isinstance(table, dict) else None
    values = deployment_values(name, table, KIND, EvmErc20Config, ("chain_id", "contract"))
    if "held" in values:  # filled from `exclusions` (and by the settings layer), never written
        raise _error(name, "held", "unknown key; declare holders under exclusions")
    if "rpc_url" not in values and "rpc_urls" not in values:
        raise _error(name, "rpc_url", "missing (or give rpc_urls)")
    if "rpc_url" in values and "rpc_urls" in values:
        raise _error(name, "rpc_urls", "give exactly one of rpc_url and rpc_urls, not both")
    if "rpc_urls" in values:
        if not isinstance(values["rpc_urls"], list):
            raise _error(name, "rpc_urls", "must be an array of http(s) URLs")
        if not values["rpc_urls"]:
            raise _error(name, "rpc_urls", f"must hold 1 to {MAX_RPC_URLS} URLs, got 0")
        values["rpc_urls"] = tuple(values["rpc_urls"])
    if "quorum" in values and "rpc_urls" not in values:
        raise _error(name, "quorum", "only with rpc_urls (one rpc_url needs no quorum)")
    if values.get("finality") == "finalized" and "confirmations" in values:
        raise _error(name, "confirmations", "not allowed with finality = 'finalized'")
    if exclusions is not None:
        values["held"] = parse_exclusions(name, exclusions)
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


def _check_url(name: str, key: str, url: object) -> str:
    # The URL is never echoed: it may carry a provider key.
    if not isinstance(url, str) or not url:
        raise _error(name, key, "must be a non-empty string")
    if len(url) > _MAX_URL_CHARS:
        raise _error(name, key, f"longer than {_MAX_URL_CHARS} characters")
    if not re.match(r"https?://[^/\s]+", url) or any(c.isspace() or not c.isprintable() for c in url):
        raise _error(name, key, "not an http(s) URL")
    return url


def _check_urls(name: str, urls: object) -> tuple[str, ...]:
    if not isinstance(urls, (tuple, list)):
        raise _error(name, "rpc_urls", "must be an array of http(s) URLs")
    if not 1 <= len(urls) <= MAX_RPC_URLS:
        raise _error(name, "rpc_urls", f"must hold 1 to {MAX_RPC_URLS} URLs, got {len(urls)}")
    seen: dict[str, int] = {}
    for i, url in enumerate(urls):
        _check_url(name, f"rpc_urls[{i}]", url)
        # One server listed twice agrees with itself: its lies would pass as a quorum.
        first = seen.setdefault(_same_server_key(url), i)
        if first != i:
            raise _error(name, f"rpc_urls[{i}]", f"same endpoint as rpc_urls[{first}]")
    return tuple(urls)


def _same_server_key(url: str) -> str:
    """Scheme and host are case-insensitive and a trailing slash changes nothing."""
    scheme, rest = url.split("://", 1)
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}".rstrip("/")
