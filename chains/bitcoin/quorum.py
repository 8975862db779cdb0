"""Quorum of Bitcoin reserve backends: two or more independent readers must agree, or the source is stale.

Semantics (also in docs/configuration.md):

1. Every backend (Esplora or Bitcoin Core RPC, each with its own parse_config) reads the same
   wallets concurrently; each reading is itself consistent (its tip re-read after its scan).
   Any backend failing fails the quorum.
2. If the backends' tips differ, all are read again, up to READ_ATTEMPTS reads in all.
3. At one tip (same height and hash), the counted outpoint sets, compared as (txid, vout, value,
   height), must be identical; otherwise ChainDataError "backends disagree" naming the first
   differing outpoint and the backends. The reading is the first backend's.
4. Tips still differing after the attempts: ChainDataError (stale) when the highest and lowest
   tips are min_confirmations (N, the confirmation window) or more blocks apart, or when the
   lowest tip is not on every higher backend's best chain. Within the window the reading is made
   at the lowest tip L: the counted outputs are the intersection of what every backend counts
   when its outputs are re-rated at L (a coin only one backend sees is never counted). A coin
   that a higher backend counts at L (so created at least N blocks below L) but the lowest backend
   does not see at all is a disagreement; the reverse is not one, because the coin may have been
   spent in the blocks between L and the higher tip, so it is only left out of the count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from chains.base import ReserveAdapter, ReserveReading, Utxo
from chains.bitcoin.core.rpc import split_credentials
from chains.bitcoin.esplora.adapter import READ_ATTEMPTS
from chains.bitcoin.esplora.config import source_table
from chains.bitcoin.scan import gather
from chains.bitcoin.wallets import WalletSpec
from chains.errors import ChainConfigError, ChainDataError
from chains.registry import Spec, get_spec

KIND = "bitcoin-quorum"
BACKEND_KINDS = ("bitcoin-esplora", "bitcoin-core-rpc")
MAX_BACKENDS = 5
# Keys every backend shares; a backend table may not set them itself.
SHARED = ("network", "min_confirmations", "max_age_seconds", "wallets", "addresses", "descriptors", "gap_limit")
Outpoint = tuple[str, int]


@dataclass(frozen=True)
class QuorumBackend:
    """One backend: its kind and the config its own parse_config built."""

    kind: str
    config: Any


@dataclass(frozen=True)
class BitcoinQuorumConfig:
    """A reserve source read by every one of `backends`, which must agree (see the module docstring)."""

    name: str
    network: str
    wallets: tuple[WalletSpec, ...]
    backends: tuple[QuorumBackend, ...]
    min_confirmations: int = 6
    max_age_seconds: int = 3 * 3600


def parse_config(name: str, mapping: dict[str, Any]) -> BitcoinQuorumConfig:
    """Quorum config from its TOML table: shared keys plus `[[reserves.backends]]` (2 to 5)."""
    where, network = source_table(name, mapping, KIND, {"kind", "backends", *SHARED})
    tables = mapping.get("backends")
    if not isinstance(tables, list) or not 2 <= len(tables) <= MAX_BACKENDS:
        raise ChainConfigError(f"{where}.backends: give 2 to {MAX_BACKENDS} [[backends]] tables")
    shared = {key: mapping[key] for key in SHARED if key in mapping}
    backends = tuple(_backend(name, table, shared, f"{where}.backends[{i}]") for i, table in enumerate(tables))
    servers: list[str] = []
    for i, backend in enumerate(backends):
        server = _server(backend)
        if server in servers:
            # One server listed twice agrees with itself: its lies would pass as a quorum.
            raise ChainConfigError(f"{where}.backends[{i}]: the same server as backends[{servers.index(server)}]")
        servers.append(server)
    first = backends[0].config
    return BitcoinQuorumConfig(
        name=name,
        network=network,
        wallets=first.wallets,
        backends=backends,
        min_confirmations=first.min_confirmations,
        max_age_seconds=first.max_age_seconds,
    )


def _server(backend: QuorumBackend) -> str:
    """The server a backend reads, without credentials or a trailing slash (to spot one listed twice)."""
    url = getattr(backend.config, "esplora_url", None) or split_credentials(backend.config.rpc_url)[0]
    parts = urlsplit(url)
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")  # hostname drops any user:pass@
    return f"{parts.scheme.lower()}://{host}{parts.path.rstrip('/')}?{parts.query}"


def _backend(name: str, table: Any, shared: dict[str, Any], where: str) -> QuorumBackend:
    if not isinstance(table, dict):
        raise ChainConfigError(f"{where}: must be a table")
    kind = table.get("kind")
    if kind not in BACKEND_KINDS:
        raise ChainConfigError(f"{where}.kind: must be one of {', '.join(BACKEND_KINDS)}")
    clash = sorted(set(table) & set(SHARED))
    if clash:
        raise ChainConfigError(f"{where}.{clash[0]}: set it on the quorum, not on one backend")
    try:
        # Each backend parses under the quorum's name, so flat-key wallets get the same names.
        config = get_spec(kind).parse_config(name, {**table, **shared})
    except ChainConfigError as exc:
        detail = exc.detail.removeprefix(f"reserves.{name}").lstrip(".: ")
        raise ChainConfigError(f"{where}: {detail}") from exc
    return QuorumBackend(kind, config)


class BitcoinQuorumAdapter:
    """Reads every backend and returns one reading they agree on; see the module docstring."""

    kind = KIND

    def __init__(self, config: BitcoinQuorumConfig, lookups: list[Callable[[int], Any]] | None = None) -> None:
        self.config = config
        self.name = config.name
        self.backends = [_reserve_adapter(b) for b in config.backends]
        self._labels = [f"backends[{i}] ({b.kind})" for i, b in enumerate(config.backends)]
        self._lookups = lookups or [_hash_lookup(adapter) for adapter in self.backends]

    async def aclose(self) -> None:
        for adapter in self.backends:
            await adapter.aclose()

    async def read_reserves(self) -> ReserveReading:
        readings: list[ReserveReading] = []
        for _ in range(READ_ATTEMPTS):
            readings = await gather([adapter.read_reserves() for adapter in self.backends])
            if len({(r.block.height, r.block.hash) for r in readings}) == 1:
                return self._at_one_tip(readings)
        return await self._within_window(readings)

    def _at_one_tip(self, readings: list[ReserveReading]) -> ReserveReading:
        base = _counted(readings[0].utxos)
        for i, reading in enumerate(readings[1:], start=1):
            other = _counted(reading.utxos)
            if other != base:
                point = min(p for p in base.keys() | other.keys() if base.get(p) != other.get(p))
                raise ChainDataError(
                    f"backends disagree at block {reading.block.height}: outpoint {point[0]}:{point[1]} is "
                    f"{_say(base.get(point))} on {self._labels[0]} and {_say(other.get(point))} on {self._labels[i]}"
                )
        return readings[0]

    async def _within_window(self, readings: list[ReserveReading]) -> ReserveReading:
        low = min(range(len(readings)), key=lambda i: readings[i].block.height)
        floor = readings[low].block
        top = max(r.block.height for r in readings)
        window = self.config.min_confirmations
        if top - floor.height >= window:
            raise ChainDataError(
                f"backends' tips are {top - floor.height} blocks apart after {READ_ATTEMPTS} reads: beyond the "
                f"confirmation window of {window} blocks"
            )
        await self._check_same_chain(readings, low)
        lowest = readings[low]
        seen = {(u.txid, u.vout): u for u in lowest.utxos + lowest.uncounted}
        agreed = set(_counted(lowest.utxos))
        for i, reading in enumerate(readings):
            if i == low:
                continue
            rerated = _counted(
                [
                    u
                    for u in (_at(u, floor.height) for u in reading.utxos + reading.uncounted)
                    if u.uncounted_reason(window) is None
                ]
            )
            for point, fields in sorted(rerated.items()):
                mine = seen.get(point)
                if mine is None or (mine.value_sat, mine.height) != fields:
                    theirs = None if mine is None else (mine.value_sat, mine.height)
                    raise ChainDataError(
                        f"backends disagree at block {floor.height}: outpoint {point[0]}:{point[1]} is "
                        f"{_say(fields)} on {self._labels[i]} and {_say(theirs)} "
                        f"on {self._labels[low]}"
                    )
            agreed &= set(rerated)
        utxos = tuple(u for u in lowest.utxos if (u.txid, u.vout) in agreed)
        return replace(lowest, utxos=utxos, total_sat=sum(u.value_sat for u in utxos))

    async def _check_same_chain(self, readings: list[ReserveReading], low: int) -> None:
        """The lowest tip must be the block every other backend has at that height."""
        floor = readings[low].block
        for i, reading in enumerate(readings):
            if i == low or reading.block.hash == floor.hash:
                continue
            there = reading.block.hash if reading.block.height == floor.height else await self._lookups[i](floor.height)
            if there != floor.hash:
                raise ChainDataError(
                    f"backends are on different chains: block {floor.height} is {floor.hash} on {self._labels[low]} "
                    f"but {there} on {self._labels[i]}"
                )


def _counted(utxos: Any) -> dict[Outpoint, tuple[int, int | None]]:
    return {(u.txid, u.vout): (u.value_sat, u.height) for u in utxos}


def _at(utxo: Utxo, height: int) -> Utxo:
    """`utxo` with its confirmations counted at `height` instead of its backend's tip."""
    if utxo.height is None or utxo.height > height:
        return replace(utxo, confirmations=0)
    return replace(utxo, confirmations=height - utxo.height + 1)


def _say(fields: tuple[int, int | None] | None) -> str:
    if fields is None:
        return "missing"
    return f"{fields[0]} sat at height {fields[1]}"


def _reserve_adapter(backend: QuorumBackend) -> ReserveAdapter:
    """Build one backend; its kind (one of BACKEND_KINDS) must make a reserve adapter."""
    adapter = get_spec(backend.kind).build(backend.config)
    if not isinstance(adapter, ReserveAdapter):
        raise ChainConfigError(f"backend kind {backend.kind!r} does not read reserves")
    return adapter


def _hash_lookup(adapter: Any) -> Callable[[int], Any]:
    """`height -> best-chain block hash` through the backend's own client (Esplora or Core)."""
    # The Core adapter exposes `client`; the Esplora adapter keeps its EsploraClient as `_client`.
    client = getattr(adapter, "client", None) or getattr(adapter, "_client", None)
    if client is None or not hasattr(client, "block_hash_at"):
        raise ChainConfigError(f"backend {adapter.kind!r} cannot be asked for a block hash by height")
    return client.block_hash_at


SPEC = Spec(kind=KIND, role="reserve", parse_config=parse_config, build=BitcoinQuorumAdapter)
