"""One conformance suite for reserve adapters, subclassed per backend (devnet Esplora, Bitcoin Core, ...)."""

from __future__ import annotations

from datetime import timezone
from typing import Any, Protocol

import pytest

from chains.base import ReserveAdapter, ReserveReading

MIN_CONFIRMATIONS = 6


class ReserveEnv(Protocol):
    """What a backend gives the suite: a chain it can pay reserves on and mine."""

    chain_id: str  # CAIP-2

    def make_adapter(self, **overrides: Any) -> ReserveAdapter:
        """An adapter on this backend declaring the env's reserves; overrides are config keys."""

    def deposit(self, value_sat: int) -> None:
        """Pay `value_sat` to a declared reserve (unconfirmed until `mine`)."""

    def mine(self, n: int) -> None: ...

    def tip(self) -> tuple[int, str]:
        """(height, hash) of the backend's best block, asked of the chain directly."""


def check_invariants(reading: ReserveReading) -> None:
    """What every reading promises, whatever the backend."""
    assert reading.total_sat == sum(u.value_sat for u in reading.utxos)
    outpoints = [(u.txid, u.vout) for u in reading.utxos + reading.uncounted]
    assert len(outpoints) == len(set(outpoints))
    assert all(u.confirmations >= reading.min_confirmations for u in reading.utxos)
    assert all(u.confirmations < reading.min_confirmations for u in reading.uncounted)
    assert all(u.value_sat > 0 and isinstance(u.value_sat, int) for u in reading.utxos)
    assert reading.block.time.tzinfo is not None and reading.block.time.utcoffset() == timezone.utc.utcoffset(None)


class ReserveAdapterConformance:
    """Subclasses provide a `reserve_adapter_env` fixture returning a ReserveEnv; it closes its adapters."""

    @pytest.fixture
    def env(self, reserve_adapter_env: ReserveEnv) -> ReserveEnv:
        return reserve_adapter_env

    async def test_is_a_reserve_adapter(self, env: ReserveEnv) -> None:
        adapter = env.make_adapter()
        assert isinstance(adapter, ReserveAdapter)
        assert adapter.kind and adapter.name

    async def test_reading_is_anchored_at_the_tip(self, env: ReserveEnv) -> None:
        reading = await env.make_adapter().read_reserves()
        assert reading.block.chain_id == env.chain_id
        assert (reading.block.height, reading.block.hash) == env.tip()
        check_invariants(reading)

    async def test_deposit_counts_after_min_confirmations(self, env: ReserveEnv) -> None:
        adapter = env.make_adapter(min_confirmations=MIN_CONFIRMATIONS)
        before = (await adapter.read_reserves()).total_sat
        env.deposit(123_456)
        env.mine(MIN_CONFIRMATIONS - 1)
        shallow = await adapter.read_reserves()
        assert shallow.total_sat == before
        assert 123_456 in [u.value_sat for u in shallow.uncounted]
        check_invariants(shallow)
        env.mine(1)
        deep = await adapter.read_reserves()
        assert deep.total_sat == before + 123_456
        check_invariants(deep)

    async def test_readings_repeat_without_new_blocks(self, env: ReserveEnv) -> None:
        adapter = env.make_adapter()
        first, second = await adapter.read_reserves(), await adapter.read_reserves()
        assert (first.block, first.utxos, first.total_sat) == (second.block, second.utxos, second.total_sat)
