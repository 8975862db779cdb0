"""The reserve adapter conformance suite against the Core RPC adapter and the quorum, on the devnet over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from chains.base import ReserveAdapter
from chains.bitcoin.esplora.adapter import chain_id
from tests.bitcoin.conformance import ReserveAdapterConformance
from tests.bitcoin.core_support import CoreDevnet


class CoreReserveEnv:
    """ReserveEnv over the devnet read by `make` (the Core adapter or the quorum)."""

    chain_id = chain_id("regtest")

    def __init__(self, net: CoreDevnet, make: str) -> None:
        self.net = net
        self.make = make

    def make_adapter(self, **overrides: Any) -> ReserveAdapter:
        return getattr(self.net, self.make)(**overrides)

    def deposit(self, value_sat: int) -> None:
        chain = self.net.chain
        chain.send(chain.wallets.reserve_address("tr", 1), value_sat, from_wallet=chain.wallets.funding)

    def mine(self, n: int) -> None:
        self.net.chain.mine(n)

    def tip(self) -> tuple[int, str]:
        return self.net.chain.tip_height, self.net.chain.tip_hash


@pytest.fixture
async def core_devnet() -> AsyncIterator[CoreDevnet]:
    net = CoreDevnet.start()
    yield net
    await net.close()


class TestCoreRpcReserveConformance(ReserveAdapterConformance):
    @pytest.fixture
    def reserve_adapter_env(self, core_devnet: CoreDevnet) -> CoreReserveEnv:
        return CoreReserveEnv(core_devnet, "core")


class TestQuorumReserveConformance(ReserveAdapterConformance):
    @pytest.fixture
    def reserve_adapter_env(self, core_devnet: CoreDevnet) -> CoreReserveEnv:
        return CoreReserveEnv(core_devnet, "quorum")
