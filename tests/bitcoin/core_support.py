"""Shared test setup of the Bitcoin Core adapter: the devnet chain behind both Esplora and the Core RPC test double."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chains.bitcoin.core.adapter import BitcoinCoreAdapter
from chains.bitcoin.core.adapter import parse_config as parse_core
from chains.bitcoin.esplora.adapter import BitcoinEsploraAdapter
from chains.bitcoin.esplora.config import parse_config as parse_esplora
from chains.bitcoin.quorum import BitcoinQuorumAdapter
from chains.bitcoin.quorum import parse_config as parse_quorum
from chains.devnet.bitcoin import RegtestChain
from chains.devnet.esplora import serve_chain
from chains.devnet.http import StopServer
from tests.doubles.bitcoin_core import CoreRpcDouble, serve_core_rpc

AUTH = ("devnet", "s3cret-pass")


@dataclass
class CoreDevnet:
    """A funded regtest chain served as Esplora and as a Core RPC test double (each over HTTP)."""

    chain: RegtestChain
    esplora_url: str
    rpc_url: str  # without credentials
    double: CoreRpcDouble
    stops: list[StopServer] = field(default_factory=list)
    adapters: list[Any] = field(default_factory=list)

    @classmethod
    def start(cls, chain: RegtestChain | None = None) -> CoreDevnet:
        if chain is None:
            chain = RegtestChain()
            chain.mine(101)
        esplora_url, stop_esplora = serve_chain(chain)
        rpc_url, stop_rpc, double = serve_core_rpc(chain, AUTH)
        return cls(chain, esplora_url, rpc_url, double, [stop_esplora, stop_rpc])

    def extra_double(self, tamper: Callable | None = None) -> tuple[str, CoreRpcDouble]:
        """Another double over the same chain (e.g. one that lies); stopped with the rest."""
        url, stop, double = serve_core_rpc(self.chain, AUTH, tamper)
        self.stops.append(stop)
        return url, double

    def declared(self) -> dict[str, Any]:
        return {"network": "regtest", "descriptors": list(self.chain.wallets.reserve_descriptors.values())}

    def core_table(self, url: str | None = None, **overrides: Any) -> dict[str, Any]:
        base = (url or self.rpc_url).replace("http://", f"http://{AUTH[0]}:{AUTH[1]}@")
        table = {"rpc_url": base, "backoff_seconds": 0.0, "scan_range": 50, **self.declared()}
        table.update(overrides)
        return table

    def core(self, url: str | None = None, **overrides: Any) -> BitcoinCoreAdapter:
        adapter = BitcoinCoreAdapter(parse_core("devnet", self.core_table(url, **overrides)))
        self.adapters.append(adapter)
        return adapter

    def esplora(self, **overrides: Any) -> BitcoinEsploraAdapter:
        table = {"esplora_url": self.esplora_url, "backoff_seconds": 0.0, **self.declared(), **overrides}
        adapter = BitcoinEsploraAdapter(parse_esplora("devnet", table))
        self.adapters.append(adapter)
        return adapter

    def quorum_table(self, core_url: str | None = None, **overrides: Any) -> dict[str, Any]:
        core = {k: v for k, v in self.core_table(core_url).items() if k not in ("network", "descriptors")}
        return {
            "kind": "bitcoin-quorum",
            **self.declared(),
            "backends": [
                {"kind": "bitcoin-esplora", "esplora_url": self.esplora_url, "backoff_seconds": 0.0},
                {"kind": "bitcoin-core-rpc", **core},
            ],
            **overrides,
        }

    def quorum(self, core_url: str | None = None, **overrides: Any) -> BitcoinQuorumAdapter:
        adapter = BitcoinQuorumAdapter(parse_quorum("devnet", self.quorum_table(core_url, **overrides)))
        self.adapters.append(adapter)
        return adapter

    async def close(self) -> None:
        for adapter in self.adapters:
            await adapter.aclose()
        for stop in self.stops:
            stop(wait=False)  # they wind down while the next test runs
