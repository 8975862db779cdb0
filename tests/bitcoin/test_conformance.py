"""The reserve adapter conformance suite run against the devnet regtest chain over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from chains.base import ReserveAdapter
from chains.bitcoin.esplora.adapter import BitcoinEsploraAdapter, chain_id
from tests.bitcoin.conformance import ReserveAdapterConformance
from tests.bitcoin.conftest import Devnet


class DevnetReserveEnv:
    """ReserveEnv over the devnet: deposits go to the `tr` reserve descriptor, child 1."""

    chain_id = chain_id("regtest")

    def __init__(self, devnet: Devnet) -> None:
        self.devnet = devnet
        self.adapters: list[BitcoinEsploraAdapter] = []

    def make_adapter(self, **overrides: Any) -> ReserveAdapter:
        adapter = self.devnet.adapter(**overrides)
        self.adapters.append(adapter)
        return adapter

    def deposit(self, value_sat: int) -> None:
        chain = self.devnet.chain
        chain.send(chain.wallets.reserve_address("tr", 1), value_sat, from_wallet=chain.wallets.funding)

    def mine(self, n: int) -> None:
        self.devnet.chain.mine(n)

    def tip(self) -> tuple[int, str]:
        return self.devnet.chain.tip_height, self.devnet.chain.tip_hash


class TestDevnetReserveConformance(ReserveAdapterConformance):
    @pytest.fixture
    async def reserve_adapter_env(self, devnet: Devnet) -> AsyncIterator[DevnetReserveEnv]:
        env = DevnetReserveEnv(devnet)
        yield env
        for adapter in env.adapters:
            await adapter.aclose()
