"""One conformance suite for supply adapters, subclassed per backend (devnet EVM, anvil, ...)."""

from __future__ import annotations

from datetime import timezone
from typing import Any, Protocol

import pytest

from chains.base import SupplyAdapter
from chains.errors import ChainConfigError, ChainDataError

CONFIRMATIONS = 3


class SupplyEnv(Protocol):
    """What a backend gives the suite: a node with a token it can mint on and mine."""

    chain_id: str  # CAIP-2
    decimals: int
    finalized_depth: int

    def make_adapter(self, **overrides: Any) -> SupplyAdapter:
        """An adapter on this node; overrides are config keys (confirmations, chain_id, ...)."""

    def mint(self, amount: int) -> int:
        """Mint `amount` units in a new block; returns that block's number."""

    def mine(self, n: int) -> None: ...

    def head(self) -> int: ...

    def block_hash(self, number: int) -> str: ...

    def supply_at(self, number: int) -> int:
        """`totalSupply()` at block `number`, asked of the node directly."""


class SupplyAdapterConformance:
    """Subclasses provide a `supply_env` fixture returning a SupplyEnv; adapters are closed by it."""

    @pytest.fixture
    def env(self, supply_env: SupplyEnv) -> SupplyEnv:
        return supply_env

    async def test_is_a_supply_adapter(self, env: SupplyEnv) -> None:
        adapter = env.make_adapter()
        assert isinstance(adapter, SupplyAdapter)
        assert adapter.kind and adapter.name

    async def test_reads_at_head_minus_confirmations(self, env: SupplyEnv) -> None:
        adapter = env.make_adapter(confirmations=CONFIRMATIONS)
        env.mine(CONFIRMATIONS + 1)
        before = (await adapter.read_supply()).total_supply
        minted_at = env.mint(1_000)

        shallow = await adapter.read_supply()
        assert shallow.block.height == minted_at - CONFIRMATIONS
        assert shallow.total_supply == before  # the mint is newer than N blocks

        env.mine(CONFIRMATIONS - 1)
        still = await adapter.read_supply()
        assert still.block.height == minted_at - 1 and still.total_supply == before

        env.mine(1)
        deep = await adapter.read_supply()
        assert deep.block.height == minted_at
        assert deep.total_supply == before + 1_000 == env.supply_at(minted_at)

    async def test_block_ref_describes_the_block_read(self, env: SupplyEnv) -> None:
        env.mint(5)
        env.mine(CONFIRMATIONS)
        reading = await env.make_adapter(confirmations=CONFIRMATIONS).read_supply()
        assert reading.block.chain_id == env.chain_id
        assert reading.block.height == env.head() - CONFIRMATIONS
        assert reading.block.hash == env.block_hash(reading.block.height).lower()
        assert reading.block.hash.startswith("0x") and len(reading.block.hash) == 66
        assert reading.block.time.tzinfo is not None
        assert reading.block.time.utcoffset() == timezone.utc.utcoffset(None)
        assert reading.decimals == env.decimals
        assert reading.total_supply == env.supply_at(reading.block.height)

    async def test_finalized_tag(self, env: SupplyEnv) -> None:
        env.mine(env.finalized_depth + 1)  # so that the finalized block holds the token
        minted_at = env.mint(7)
        adapter = env.make_adapter(finality="finalized")
        early = await adapter.read_supply()
        assert early.block.height == max(0, env.head() - env.finalized_depth)
        assert early.block.height < minted_at
        env.mine(env.finalized_depth)
        late = await adapter.read_supply()
        assert late.block.height == minted_at
        assert late.total_supply == env.supply_at(minted_at)

    async def test_expected_decimals_match(self, env: SupplyEnv) -> None:
        env.mine(CONFIRMATIONS)
        reading = await env.make_adapter(expected_decimals=env.decimals).read_supply()
        assert reading.decimals == env.decimals

    async def test_decimals_mismatch_is_data_error(self, env: SupplyEnv) -> None:
        env.mine(CONFIRMATIONS)
        adapter = env.make_adapter(expected_decimals=env.decimals + 10)
        with pytest.raises(ChainDataError, match="decimals"):
            await adapter.read_supply()

    async def test_chain_id_mismatch_is_data_error(self, env: SupplyEnv) -> None:
        adapter = env.make_adapter(chain_id="eip155:999999")
        with pytest.raises(ChainDataError, match="eip155:999999"):
            await adapter.read_supply()

    async def test_no_contract_at_address_is_data_error(self, env: SupplyEnv) -> None:
        env.mine(CONFIRMATIONS)
        adapter = env.make_adapter(contract="0x" + "11" * 20)
        # totalSupply() and decimals() are read together: either may be the one reported empty.
        with pytest.raises(ChainDataError, match=r"(totalSupply|decimals)\(\) at block \d+ returned 0 bytes"):
            await adapter.read_supply()

    async def test_depth_beyond_genesis_clamps_to_block_zero(self, env: SupplyEnv) -> None:
        # The token did not exist at block 0: the adapter must say so, not report 0 supply.
        adapter = env.make_adapter(confirmations=10**9)
        with pytest.raises(ChainDataError, match="block 0"):
            await adapter.read_supply()

    async def test_bad_config_names_the_key(self, env: SupplyEnv) -> None:
        with pytest.raises(ChainConfigError, match=r"\.contract: not a 20-byte hex address"):
            env.make_adapter(contract="0x1234")


class AdapterFactory:
    """Builds `evm-erc20` adapters through the registry (as the engine does) and closes them all."""

    def __init__(self, name: str, defaults: dict[str, Any]) -> None:
        self.name, self.defaults = name, defaults
        self.adapters: list[Any] = []

    def __call__(self, **overrides: Any) -> SupplyAdapter:
        from chains.registry import get_spec

        spec = get_spec("evm-erc20")
        config = {**self.defaults, **overrides}
        if config.get("finality") == "finalized":
            config.pop("confirmations", None)
        adapter = spec.build(spec.parse_config(self.name, config))
        self.adapters.append(adapter)
        return adapter

    async def aclose(self) -> None:
        for adapter in self.adapters:
            await adapter.aclose()
