"""Held balances and RPC quorums against the devnet EVM (eth-tester) over real HTTP.

One chain served at several paths is several endpoints that must agree; two chains with the same
chain id but different histories are endpoints that disagree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar

from chains.base import HeldAddress, HeldBalance, RpcAgreement
from chains.devnet.evm import DevnetEvm, selector
from chains.errors import ChainDataError, ChainUnavailable
from chains.evm.adapter import EvmErc20Adapter
from chains.evm.config import parse_config
from chains.evm.endpoint import BALANCE_OF_SELECTOR, balance_of_data
from tests.evm.conftest import serve
from tests.support import free_port

TXID = "ab" * 32
BURN = "0x000000000000000000000000000000000000dEaD"
CONFIRMATIONS = 3


def served_at(chain: DevnetEvm, *paths: str) -> tuple[list[str], Any]:
    """One chain behind one server at several paths: each URL is a separate endpoint."""
    app = Litestar(route_handlers=[chain.route_handler(p) for p in paths], openapi_config=None, logging_config=None)
    base, stop = serve(app)
    return [base + p for p in paths], stop


def new_chain(minted: int) -> DevnetEvm:
    chain = DevnetEvm(31337, finalized_depth=4, safe_depth=2)
    chain.deploy()
    chain.mint(chain.accounts[1], minted, TXID, 0)
    return chain


@pytest.fixture
def chain() -> DevnetEvm:
    """A devnet chain where accounts[1] holds 1,000,000 units and the treasury (accounts[8]) 300,000."""
    chain = new_chain(1_000_000)
    chain.transfer(chain.accounts[1], chain.accounts[8], 300_000)
    chain.transfer(chain.accounts[1], BURN, 5_000)
    chain.mine(CONFIRMATIONS)
    return chain


@pytest.fixture
def two_paths(chain: DevnetEvm) -> Iterator[list[str]]:
    urls, stop = served_at(chain, "/a", "/b")
    yield urls
    stop()


def exclusions(chain: DevnetEvm) -> list[dict[str, str]]:
    return [
        {"address": chain.accounts[8], "category": "treasury", "reason": "issuer treasury, unissued"},
        {"address": BURN, "category": "burn", "reason": "no key exists"},
    ]


def adapter(chain: DevnetEvm, urls: list[str], **overrides: Any) -> EvmErc20Adapter:
    table = {
        "chain_id": "eip155:31337",
        "rpc_urls": urls,
        "contract": chain.contract,
        "confirmations": CONFIRMATIONS,
        "timeout_seconds": 5,
        "retries": 0,
        "expected_decimals": 8,
        "exclusions": exclusions(chain),
        **overrides,
    }
    if table.get("finality") == "finalized":
        del table["confirmations"]
    return EvmErc20Adapter(parse_config("devnet-eth", table))


async def read(a: EvmErc20Adapter) -> Any:
    try:
        return await a.read_supply()
    finally:
        await a.aclose()


def test_balance_of_selector_is_ercs() -> None:
    assert selector("balanceOf(address)") == BALANCE_OF_SELECTOR
    assert balance_of_data(BURN) == BALANCE_OF_SELECTOR + "00" * 12 + BURN[2:].lower()


async def test_held_balances_are_read_at_the_supplys_block(chain: DevnetEvm, two_paths: list[str]) -> None:
    first = await read(adapter(chain, two_paths[:1]))
    number = first.block.height
    assert first.rpc is None  # one endpoint: attestations stay as before
    treasury = HeldAddress(chain.accounts[8], "treasury", "issuer treasury, unissued")
    assert first.held == (
        HeldBalance(treasury, 300_000),
        HeldBalance(HeldAddress(BURN, "burn", "no key exists"), 5_000),
    )
    assert first.total_supply == 1_000_000

    # Tokens move after the block read: fewer blocks than the confirmation depth later, the
    # reading is still of an older block and shows the old balances, consistent with its supply.
    chain.transfer(chain.accounts[1], chain.accounts[8], 111)
    chain.mint(chain.accounts[1], 7, TXID, 1)
    later = await read(adapter(chain, two_paths[:1]))
    assert later.block.height == number + 2 and later.held[0].balance == 300_000
    assert later.total_supply == 1_000_000
    assert chain.balance_of(chain.accounts[8]) == 300_111  # what the head says: not what was read
    chain.mine(CONFIRMATIONS)
    deep = await read(adapter(chain, two_paths[:1]))
    assert (deep.held[0].balance, deep.total_supply) == (300_111, 1_000_007)
    assert deep.held[0].balance == chain.balance_of(chain.accounts[8], deep.block.height)


async def test_one_chain_at_two_paths_agrees(chain: DevnetEvm, two_paths: list[str]) -> None:
    reading = await read(adapter(chain, two_paths))
    assert reading.rpc == RpcAgreement(endpoints=2, answered=2, agreed=2, quorum=2)
    assert reading.block.height == chain.head() - CONFIRMATIONS
    assert reading.block.hash == chain.block_hash(reading.block.height)
    assert [h.balance for h in reading.held] == [300_000, 5_000]


async def test_sequential_read_gives_the_same_reading(chain: DevnetEvm, two_paths: list[str]) -> None:
    together = await read(adapter(chain, two_paths))
    table = {
        "chain_id": "eip155:31337",
        "rpc_urls": two_paths,
        "contract": chain.contract,
        "confirmations": CONFIRMATIONS,
        "exclusions": exclusions(chain),
    }
    one_by_one = EvmErc20Adapter(parse_config("devnet-eth", table), concurrent=False)
    assert await read(one_by_one) == together
    assert one_by_one.rpc_calls == 2 * (3 + 4 + 1)  # per endpoint: pick 3, calls 2 + 2 held, re-check 1


async def test_two_chains_with_one_chain_id_disagree(chain: DevnetEvm) -> None:
    # Same chain id, same contract address, other history: a node on a fork or a lying provider.
    other = new_chain(2_000_000)
    other.mine(chain.head() - other.head())
    urls_a, stop_a = served_at(chain, "/")
    urls_b, stop_b = served_at(other, "/")
    try:
        assert other.contract == chain.contract and other.head() == chain.head()
        with pytest.raises(ChainDataError) as info:
            await read(adapter(chain, urls_a + urls_b))
    finally:
        stop_a()
        stop_b()
    number = chain.head() - CONFIRMATIONS
    detail = info.value.detail
    assert detail.startswith(
        f"devnet-eth: endpoints disagree at block {number} on eip155:31337: endpoint 1/2 vs endpoint 2/2: block hash 0x"
    )
    assert chain.block_hash(number)[2:] in detail and other.block_hash(number)[2:] in detail
    assert "127.0.0.1" not in detail


async def test_one_endpoint_down_with_the_quorum_met(chain: DevnetEvm, two_paths: list[str]) -> None:
    down = f"http://127.0.0.1:{free_port()}/"
    reading = await read(adapter(chain, [*two_paths, down]))
    assert reading.rpc == RpcAgreement(endpoints=3, answered=2, agreed=2, quorum=2)
    assert reading.total_supply == 1_000_000


async def test_quorum_not_met_is_unavailable_with_every_reason(chain: DevnetEvm, two_paths: list[str]) -> None:
    down = f"http://127.0.0.1:{free_port()}/KEY"
    with pytest.raises(ChainUnavailable) as info:
        await read(adapter(chain, [two_paths[0], down, two_paths[1]], quorum=3))
    detail = info.value.detail
    assert detail.startswith("devnet-eth: 2 of 3 endpoints answered (no block picked) on eip155:31337, quorum 3: ")
    assert "devnet-eth endpoint 2/3: eth_blockNumber failed after 1 attempt(s)" in detail
    assert "KEY" not in detail


async def test_finalized_quorum(chain: DevnetEvm, two_paths: list[str]) -> None:
    reading = await read(adapter(chain, two_paths, finality="finalized"))
    assert reading.block.height == chain.head() - 4 and reading.rpc.answered == 2
