"""The supply-adapter conformance suite against the devnet EVM, reached over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from chains.devnet.evm import DevnetEvm
from tests.evm.conformance import AdapterFactory, SupplyAdapterConformance

TXID = "aa" * 32


class DevnetEnv:
    """SupplyEnv over a DevnetEvm; the adapter sees only its URL."""

    def __init__(self, chain: DevnetEvm, url: str) -> None:
        self.chain = chain
        self.chain_id = f"eip155:{chain.chain_id}"
        self.decimals = chain.decimals
        self.finalized_depth = chain.rpc.finalized_depth
        self.make_adapter = AdapterFactory(
            "devnet-ethereum",
            {
                "chain_id": self.chain_id,
                "rpc_url": url,
                "contract": chain.contract,
                "confirmations": 3,
                "timeout_seconds": 5,
                "retries": 0,
            },
        )
        self._vout = 0

    def mint(self, amount: int) -> int:
        self._vout += 1
        self.chain.mint(self.chain.accounts[1], amount, TXID, self._vout)
        return self.chain.head()

    def mine(self, n: int) -> None:
        self.chain.mine(n)

    def head(self) -> int:
        return self.chain.head()

    def block_hash(self, number: int) -> str:
        return self.chain.block_hash(number)

    def supply_at(self, number: int) -> int:
        return self.chain.total_supply(number)


class TestDevnetEvmConformance(SupplyAdapterConformance):
    @pytest.fixture
    async def supply_env(self, devnet_evm: tuple[DevnetEvm, str]) -> AsyncIterator[Any]:
        env = DevnetEnv(*devnet_evm)
        yield env
        await env.make_adapter.aclose()

    async def test_reorg_below_read_depth_changes_supply_and_hash(self, env: DevnetEnv) -> None:
        minted_at = env.mint(40)
        env.mine(3)
        adapter = env.make_adapter(confirmations=3)
        before = await adapter.read_supply()
        assert before.block.height == minted_at

        env.chain.reorg(4)  # drops the mint's block and the three above it
        after = await adapter.read_supply()
        assert after.block.height == minted_at + 1
        assert after.total_supply == before.total_supply - 40
        assert env.block_hash(minted_at) != before.block.hash
        assert after.block.hash == env.block_hash(after.block.height)
