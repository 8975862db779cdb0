"""Interfaces and value types shared by all adapters: what a reading is and where it was made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:  # wallets.py imports this module: the name is for annotations only
    from chains.bitcoin.wallets import WalletSpec

Role = Literal["reserve", "supply", "price"]


@dataclass(frozen=True)
class BlockRef:
    """The block a reading was made at.

    `chain_id` is CAIP-2 (`bip122:<genesis hash prefix>`, `eip155:<chain id>`); `hash` is lowercase
    hex as the chain shows it (Bitcoin: big-endian display order, no 0x; EVM: 0x-prefixed);
    `time` is the block's own timestamp (UTC, tz-aware).
    """

    chain_id: str
    height: int
    hash: str
    time: datetime


COINBASE_MATURITY = 100  # a coinbase output is spendable once it has this many confirmations


@dataclass(frozen=True)
class TimeLock:
    """A script lock that keeps an output unspendable now, read from its declared script.

    `kind` is "height" (a block height) or "time" (Unix seconds, compared with median time past).
    `until` is the first height (or time) at which a spend can be mined, whether the lock is
    absolute (`after(n)`, nLockTime) or relative (`older(n)`, BIP-68, already added to the
    output's own block); `relative` says which one it came from.
    """

    kind: str
    until: int
    relative: bool


@dataclass(frozen=True)
class Utxo:
    """One unspent output paying a reserve address. `value_sat` in satoshis.

    `wallet` is the name of the declared wallet the address belongs to ("" when not declared
    through a wallet). `lock` is None when some spending path of the declared script is open at
    the reading's tip, else the earliest unlock; outputs of undeclared scripts (plain address
    lists) are never locked. `coinbase` outputs need COINBASE_MATURITY confirmations.
    """

    txid: str
    vout: int
    value_sat: int
    address: str
    height: int | None  # None while unconfirmed
    confirmations: int  # relative to the reading's tip; 0 when unconfirmed
    wallet: str = ""
    coinbase: bool = False
    lock: TimeLock | None = None

    def uncounted_reason(self, min_confirmations: int) -> str | None:
        """Why this output does not count at its reading's tip, or None when it counts.

        "unconfirmed", "immature_coinbase" or "shallow" (fewer than `min_confirmations`).
        Time locks do not make an output uncounted: the ratio policy decides (count_locked).
        """
        if self.height is None or self.confirmations <= 0:
            return "unconfirmed"
        if self.coinbase and self.confirmations < COINBASE_MATURITY:
            return "immature_coinbase"
        if self.confirmations < min_confirmations:
            return "shallow"
        return None


@dataclass(frozen=True)
class DuplicateOutpoint:
    """An outpoint that more than one declared wallet covers; counted once, under `wallets[0]`."""

    txid: str
    vout: int
    wallets: tuple[str, ...]


@dataclass(frozen=True)
class ReserveReading:
    """Bitcoin reserves of one source at one tip.

    `utxos` holds only outputs that count (`Utxo.uncounted_reason` is None) relative to `block`
    (the tip read first), deduplicated by outpoint; `total_sat` is their sum, time-locked ones
    included (each says so in `lock`). Outputs seen but not counted (too shallow, unconfirmed,
    immature coinbase) are in `uncounted`. `duplicates` lists outpoints two wallets both cover.
    `median_time` is the tip's median time past (Unix seconds) when the backend gives it.
    """

    source: str
    block: BlockRef
    min_confirmations: int
    utxos: tuple[Utxo, ...]
    total_sat: int
    addresses_scanned: int
    uncounted: tuple[Utxo, ...] = field(default=())
    duplicates: tuple[DuplicateOutpoint, ...] = field(default=())
    median_time: int | None = None


OUTPOINT_STATES = ("unspent", "spent", "missing")


@dataclass(frozen=True)
class OutpointState:
    """What the chain says of one outpoint now: "unspent" or "spent" (then `value_sat` and the
    scriptPubKey as lowercase hex are the output's), or "missing" (no such transaction or output).
    Spent counts spends waiting in the mempool too."""

    state: str
    value_sat: int | None = None
    script_pubkey: str | None = None


@runtime_checkable
class OutpointReader(Protocol):
    """A reserve adapter that can look one outpoint up (the registry of locked contracts asks it
    about declared outpoints its reading does not list). Optional: an adapter without it leaves
    those contracts unread."""

    async def read_outpoint(self, txid: str, vout: int) -> OutpointState: ...


HELD_CATEGORIES = ("lockbox", "escrow", "treasury", "burn")


@dataclass(frozen=True)
class HeldAddress:
    """A declared holder whose balance is not in circulation, read at the supply's own block.

    `category`: "lockbox" or "escrow" (a bridge's custody on this, its source chain: `bridge`
    names the bridge deployment it backs), "treasury" (the issuer's own unissued tokens), "burn"
    (an address nobody can spend from). `reason` is the operator's published justification.
    `address` is as the chain writes it (EVM: 0x + 40 hex, checksummed or not).
    """

    address: str
    category: str
    reason: str
    bridge: str | None = None


@dataclass(frozen=True)
class HeldBalance:
    """The balance of one HeldAddress at the reading's block, raw token units."""

    holder: HeldAddress
    balance: int


@dataclass(frozen=True)
class RpcAgreement:
    """How a reading was agreed: `endpoints` configured, `answered` with a usable reading,
    `agreed` on the one returned (same block hash and same values), `quorum` required."""

    endpoints: int
    answered: int
    agreed: int
    quorum: int


@dataclass(frozen=True)
class SupplyReading:
    """Token supply of one deployment at one confirmed block.

    `total_supply` is in raw token units (10**decimals units = 1 BTC); `decimals` was read on chain.
    `block` is the confirmed block the calls were made at (head minus N, or `finalized`).
    `held` are the balances of the declared non-circulating holders at that same block (their sum
    never exceeds `total_supply`; an adapter refuses a reading where it would). `rpc` says how many
    endpoints agreed on this reading (None: a single endpoint, no quorum).
    """

    deployment: str
    contract: str
    block: BlockRef
    total_supply: int
    decimals: int
    held: tuple[HeldBalance, ...] = ()
    rpc: RpcAgreement | None = None


@runtime_checkable
class ReserveAdapter(Protocol):
    """Reads the Bitcoin reserves it was configured with."""

    kind: str
    name: str

    async def read_reserves(self) -> ReserveReading: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class SupplyAdapter(Protocol):
    """Reads the supply of one token deployment."""

    kind: str
    name: str

    async def read_supply(self) -> SupplyReading: ...

    async def aclose(self) -> None: ...


# --- configurations ------------------------------------------------------------------------------
# Each adapter kind has its own frozen config dataclass, built by its spec's parse_config from one
# TOML table. The engine reads configs through these protocols only; members are read-only
# properties, which a frozen dataclass field satisfies.


@runtime_checkable
class SourceConfig(Protocol):
    """What every adapter configuration declares.

    `name` is the source's (reserves) or deployment's (supply) name from the settings.
    `max_age_seconds` bounds the age of a reading's block (by the block's own time): an older
    reading makes the source stale.
    """

    @property
    def name(self) -> str: ...

    @property
    def max_age_seconds(self) -> int: ...


@runtime_checkable
class ReserveSourceConfig(SourceConfig, Protocol):
    """A reserve source: named Bitcoin wallets of one network.

    `network` is one of chains.bitcoin.descriptors.NETWORK_NAMES ("main", "test", "signet",
    "regtest"); `wallets` are in declaration order (the first wallet covering an outpoint keeps it).
    """

    @property
    def network(self) -> str: ...

    @property
    def wallets(self) -> tuple[WalletSpec, ...]: ...


@runtime_checkable
class SupplySourceConfig(SourceConfig, Protocol):
    """One token deployment.

    `chain_id` is CAIP-2 (`eip155:1`, `solana:<genesis prefix>`); `contract` is the token's address
    as that chain writes it (an EVM contract, a Solana mint), the value SupplyReading.contract
    carries. `expected_decimals`, when not None, must equal the decimals read on chain.
    """

    @property
    def chain_id(self) -> str: ...

    @property
    def contract(self) -> str: ...

    @property
    def expected_decimals(self) -> int | None: ...


@runtime_checkable
class AdapterSpec(Protocol):
    """What the registry holds for one adapter kind (chains.registry.Spec is the usual one).

    `role` says which protocols its configs and adapters satisfy: "reserve" (ReserveSourceConfig,
    ReserveAdapter), "supply" (SupplySourceConfig, SupplyAdapter) or "price"
    (chains.price.base.PriceAdapter, whose configs name their pair). `parse_config(name, table)`
    raises ChainConfigError naming the key; `build(config)` makes the adapter from that config.
    """

    @property
    def kind(self) -> str: ...

    @property
    def role(self) -> Role: ...

    @property
    def parse_config(self) -> Callable[[str, dict[str, Any]], SourceConfig]: ...

    @property
    def build(self) -> Callable[[Any], ReserveAdapter | SupplyAdapter]: ...


@dataclass(frozen=True)
class BalanceReading:
    """Balances of declared holders on one chain at one confirmed block (collateral, positions).

    `asset` is the token's address (EVM: 0x + 40 hex) or None for the chain's native coin;
    `balances` are raw units in the holders' declared order and `total` their sum; `decimals` as
    read on chain for a token, as declared for a native coin. `rpc` as in SupplyReading.
    """

    label: str
    block: BlockRef
    asset: str | None
    holders: tuple[str, ...]
    balances: tuple[int, ...]
    total: int
    decimals: int
    rpc: RpcAgreement | None = None


@runtime_checkable
class BalanceAdapter(Protocol):
    """Reads the balances it was configured with (chains.evm.balances)."""

    name: str

    async def read_balances(self) -> BalanceReading: ...

    async def aclose(self) -> None: ...
