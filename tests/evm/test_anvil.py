"""The supply-adapter conformance suite and reorg behaviour against a real anvil node from npm."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from chains.devnet.evm import load_artifact
from tests.evm.conformance import CONFIRMATIONS, AdapterFactory, SupplyAdapterConformance
from tests.evm.conftest import ANVIL_CHAIN_ID, ANVIL_SLOTS_PER_EPOCH

pytestmark = pytest.mark.anvil

DECIMALS = 8
TXID = "be" * 32


@pytest.fixture(scope="module")
def anvil_token(anvil: str) -> tuple[Web3, Any]:
    """web3 on the anvil node and a ReserveToken deployed there by anvil's first (unlocked) account."""
    w3 = Web3(HTTPProvider(anvil, request_kwargs={"timeout": 10}))
    owner = w3.eth.accounts[0]
    artifact = load_artifact()
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    tx = factory.constructor("Reserve BTC", "RBTC", DECIMALS).transact({"from": owner})
    receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=10)
    return w3, w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


class AnvilEnv:
    """SupplyEnv over anvil: mints as the token owner, mines with `anvil_mine`."""

    chain_id = f"eip155:{ANVIL_CHAIN_ID}"
    decimals = DECIMALS
    finalized_depth = 2 * ANVIL_SLOTS_PER_EPOCH  # anvil finalizes two epochs back

    def __init__(self, w3: Web3, token: Any, url: str) -> None:
        self.w3, self.token = w3, token
        self.owner = w3.eth.accounts[0]
        self.make_adapter = AdapterFactory(
            "anvil",
            {
                "chain_id": self.chain_id,
                "rpc_url": url,
                "contract": token.address,
                "confirmations": CONFIRMATIONS,
                "timeout_seconds": 5,
                "retries": 0,
            },
        )
        self._vout = 0

    def mint(self, amount: int) -> int:
        self._vout += 1
        tx = self.token.functions.mint(self.w3.eth.accounts[1], amount, bytes.fromhex(TXID), self._vout)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx.transact({"from": self.owner}), timeout=10)
        assert receipt["status"] == 1
        return receipt["blockNumber"]

    def mine(self, n: int) -> None:
        self.w3.provider.make_request("anvil_mine", [hex(n)])

    def head(self) -> int:
        return self.w3.eth.block_number

    def block_hash(self, number: int) -> str:
        return self.w3.eth.get_block(number)["hash"].to_0x_hex()

    def supply_at(self, number: int) -> int:
        return self.token.functions.totalSupply().call(block_identifier=number)

    def reorg(self, depth: int) -> None:
        """Replace the newest `depth` blocks with empty ones (same height); their txs are dropped."""
        reply = self.w3.provider.make_request("anvil_reorg", [depth, []])
        assert "error" not in reply, reply


@pytest.fixture
def anvil_env(anvil: str, anvil_token: tuple[Web3, Any]) -> Iterator[AnvilEnv]:
    """An AnvilEnv whose changes are rolled back afterwards (evm_snapshot / evm_revert)."""
    w3, token = anvil_token
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    yield AnvilEnv(w3, token, anvil)
    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True


class TestAnvilConformance(SupplyAdapterConformance):
    @pytest.fixture
    async def supply_env(self, anvil_env: AnvilEnv) -> AsyncIterator[AnvilEnv]:
        yield anvil_env
        await anvil_env.make_adapter.aclose()


async def test_reorg_changes_supply_only_after_it(anvil_env: AnvilEnv) -> None:
    env = anvil_env
    adapter = env.make_adapter(confirmations=CONFIRMATIONS)
    try:
        env.mine(CONFIRMATIONS)  # so that head minus N already holds the token
        base = (await adapter.read_supply()).total_supply
        minted_at = env.mint(500)
        env.mine(CONFIRMATIONS)
        before = await adapter.read_supply()
        assert before.block.height == minted_at and before.total_supply == base + 500
        assert (await adapter.read_supply()) == before  # stable until something happens

        env.reorg(CONFIRMATIONS + 1)  # replaces the mint's block and everything above it
        after = await adapter.read_supply()
        assert after.block.height == minted_at  # same height, other block
        assert after.block.hash != before.block.hash
        assert after.block.hash == env.block_hash(minted_at)
        assert after.total_supply == base == env.supply_at(minted_at)
    finally:
        await env.make_adapter.aclose()


async def test_shallow_reorg_does_not_touch_a_confirmed_reading(anvil_env: AnvilEnv) -> None:
    env = anvil_env
    adapter = env.make_adapter(confirmations=CONFIRMATIONS)
    try:
        env.mint(11)
        env.mine(CONFIRMATIONS)
        before = await adapter.read_supply()
        env.reorg(CONFIRMATIONS)  # everything above the block the adapter reads
        after = await adapter.read_supply()
        assert (after.block.height, after.block.hash, after.total_supply) == (
            before.block.height,
            before.block.hash,
            before.total_supply,
        )
    finally:
        await env.make_adapter.aclose()


async def test_finalized_block_is_anvils(anvil_env: AnvilEnv) -> None:
    env = anvil_env
    env.mine(10)
    adapter = env.make_adapter(finality="finalized")
    try:
        reading = await adapter.read_supply()
    finally:
        await env.make_adapter.aclose()
    finalized = env.w3.eth.get_block("finalized")
    assert reading.block.height == finalized["number"] == env.head() - env.finalized_depth
    assert reading.block.hash == finalized["hash"].to_0x_hex()
