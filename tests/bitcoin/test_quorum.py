"""Quorum of an Esplora and a Core backend on one devnet: agreement, lies, lagging tips, other chains, failures."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chains.base import BlockRef, ReserveReading, Utxo
from chains.bitcoin.quorum import BitcoinQuorumAdapter, BitcoinQuorumConfig, parse_config
from chains.errors import ChainConfigError, ChainDataError, ChainUnavailable
from tests.bitcoin.conftest import mock_peer
from tests.bitcoin.core_support import AUTH, CoreDevnet

CORE = "backends[1] (bitcoin-core-rpc)"
ESPLORA = "backends[0] (bitcoin-esplora)"


@pytest.fixture
async def net() -> AsyncIterator[CoreDevnet]:
    devnet = CoreDevnet.start()
    yield devnet
    await devnet.close()


def pay(net: CoreDevnet, index: int, value: int) -> str:
    chain = net.chain
    return chain.send(chain.wallets.reserve_address("wpkh", index), value, from_wallet=chain.wallets.funding)


def tampered(net: CoreDevnet, tamper: Callable) -> str:
    url, _ = net.extra_double(tamper)
    return url


def lagging(net: CoreDevnet, blocks: int, drop: Callable[[dict], bool] = lambda u: False, reads: int = 10**6) -> str:
    """A Core double whose node is `blocks` behind the chain (for its first `reads` scans)."""
    scans = {"n": 0}

    def tamper(method: str, params: list, call: Callable) -> Any:
        low = net.chain.block_at(net.chain.tip_height - blocks)
        if scans["n"] >= reads:
            return call()
        if method == "getbestblockhash":
            return low.hash
        if method == "scantxoutset" and params[0] == "start":
            scans["n"] += 1
            result = call()
            kept = [u for u in result["unspents"] if u["height"] <= low.height and not drop(u)]
            for unspent in kept:
                unspent["confirmations"] = low.height - unspent["height"] + 1
            total = sum((u["amount"] for u in kept), Decimal("0E-8"))
            return {**result, "height": low.height, "bestblock": low.hash, "unspents": kept, "total_amount": total}
        return call()

    return tampered(net, tamper)


async def test_agreeing_backends_give_the_esplora_reading(net: CoreDevnet) -> None:
    pay(net, 0, 40_000)
    net.chain.mine(6)
    quorum, alone = await net.quorum().read_reserves(), await net.esplora().read_reserves()
    assert quorum == alone and quorum.total_sat == 40_000


async def test_a_dropped_utxo_is_a_disagreement(net: CoreDevnet) -> None:
    txid = pay(net, 0, 40_000)
    net.chain.mine(6)
    with pytest.raises(ChainDataError, match="backends disagree") as caught:
        await net.quorum(lagging(net, 0, drop=lambda u: u["txid"] == txid)).read_reserves()
    assert txid in caught.value.detail and CORE in caught.value.detail and ESPLORA in caught.value.detail
    assert "missing" in caught.value.detail


async def test_a_changed_value_is_a_disagreement(net: CoreDevnet) -> None:
    txid = pay(net, 0, 40_000)
    net.chain.mine(6)

    def inflate(method: str, params: list, call: Callable) -> Any:
        result = call()
        if method == "scantxoutset" and params[0] == "start":
            for unspent in result["unspents"]:
                if unspent["txid"] == txid:
                    unspent["amount"] += Decimal("1.00000000")
                    result["total_amount"] += Decimal("1.00000000")
        return result

    with pytest.raises(ChainDataError, match="40000 sat .* 100040000 sat"):
        await net.quorum(tampered(net, inflate)).read_reserves()


async def test_within_the_window_the_reading_is_made_at_the_lower_tip(net: CoreDevnet) -> None:
    pay(net, 0, 40_000)
    net.chain.mine(10)
    pay(net, 1, 7_000)
    net.chain.mine(7)  # counts at the chain's tip (7 deep), not two blocks lower (5 deep)
    tip = net.chain.tip_height
    reading = await net.quorum(lagging(net, 2)).read_reserves()
    assert (reading.block.height, reading.block.hash) == (tip - 2, net.chain.block_at(tip - 2).hash)
    assert reading.total_sat == 40_000
    assert (await net.esplora().read_reserves()).total_sat == 47_000


async def test_tips_that_converge_on_a_re_read_are_compared_at_one_tip(net: CoreDevnet) -> None:
    pay(net, 0, 40_000)
    net.chain.mine(6)
    reading = await net.quorum(lagging(net, 1, reads=1)).read_reserves()
    assert reading.block.hash == net.chain.tip_hash and reading.total_sat == 40_000


async def test_tips_a_window_apart_are_stale(net: CoreDevnet) -> None:
    net.chain.mine(6)
    with pytest.raises(ChainDataError, match="6 blocks apart .* window of 6"):
        await net.quorum(lagging(net, 6)).read_reserves()


async def test_a_deep_coin_the_lower_backend_lacks_is_a_disagreement(net: CoreDevnet) -> None:
    txid = pay(net, 0, 40_000)
    net.chain.mine(10)
    with pytest.raises(ChainDataError, match="backends disagree") as caught:
        await net.quorum(lagging(net, 2, drop=lambda u: u["txid"] == txid)).read_reserves()
    assert txid in caught.value.detail and "missing on " + CORE in caught.value.detail


@pytest.mark.parametrize("behind", [0, 1])
async def test_a_backend_on_another_chain_is_stale(net: CoreDevnet, behind: int) -> None:
    net.chain.mine(3)
    fork = "ab" * 32

    def other_chain(method: str, params: list, call: Callable) -> Any:
        real = net.chain.block_at(net.chain.tip_height - behind)
        if method == "getbestblockhash":
            return fork
        if method == "getblockheader" and params[0] == fork:
            params = [real.hash, *params[1:]]
            header = net.double._getblockheader(*params)
            return {**header, "hash": fork, "confirmations": 1}
        if method == "scantxoutset" and params[0] == "start":
            return {**call(), "bestblock": fork, "height": real.height}
        return call()

    with pytest.raises(ChainDataError, match="different chains"):
        await net.quorum(tampered(net, other_chain)).read_reserves()


async def test_a_backend_that_times_out_fails_the_quorum(net: CoreDevnet) -> None:
    def slow(method: str, params: list, call: Callable) -> Any:
        time.sleep(1.0)
        return call()

    table = net.quorum_table(tampered(net, slow))
    table["backends"][1].update(timeout_seconds=0.2, retries=0)
    quorum = BitcoinQuorumAdapter(parse_config("devnet", table))
    net.adapters.append(quorum)
    with pytest.raises(ChainUnavailable, match="timed out"):
        await quorum.read_reserves()


@pytest.mark.parametrize(
    "body", [b"garbage", b"{" * 50_000, b'{"result": 1, "error": null, "id": 1}', b"x" * 9_000_000]
)
async def test_a_backend_answering_garbage_fails_the_quorum(net: CoreDevnet, serve, body: bytes) -> None:
    async def handler(method: str, path: str) -> tuple[int, bytes]:
        return 200, body

    with pytest.raises(ChainDataError):
        await net.quorum(serve(mock_peer(handler))).read_reserves()


async def test_wrong_credentials_fail_the_quorum_without_echoing_them(net: CoreDevnet) -> None:
    table = net.quorum_table()
    table["backends"][1]["rpc_url"] = net.rpc_url.replace("http://", "http://devnet:WRONG-secret@")
    quorum = BitcoinQuorumAdapter(parse_config("devnet", table))
    net.adapters.append(quorum)
    with pytest.raises(ChainUnavailable, match="401") as caught:
        await quorum.read_reserves()
    assert "WRONG-secret" not in str(caught.value) and AUTH[1] not in str(caught.value)


# --- config ------------------------------------------------------------------------------------


def test_backends_share_wallets_network_and_confirmations(net: CoreDevnet) -> None:
    config = parse_config("devnet", net.quorum_table(min_confirmations=3))
    assert [b.config.min_confirmations for b in config.backends] == [3, 3] and config.min_confirmations == 3
    assert [w.name for w in config.backends[0].config.wallets] == [w.name for w in config.backends[1].config.wallets]
    assert config.wallets == config.backends[1].config.wallets


def test_the_same_backend_twice_is_no_quorum(net: CoreDevnet) -> None:
    # Two tables naming one server would "agree" with every lie it tells.
    table = net.quorum_table()
    esplora = table["backends"][0]
    table["backends"] = [esplora, {**esplora, "esplora_url": esplora["esplora_url"] + "/"}]
    with pytest.raises(ChainConfigError, match=r"backends\[1\].*same server"):
        parse_config("devnet", table)
    table = net.quorum_table()
    core = table["backends"][1]
    table["backends"].append({**core})
    with pytest.raises(ChainConfigError, match=r"backends\[2\].*same server") as caught:
        parse_config("devnet", table)
    assert AUTH[1] not in caught.value.detail


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda t: t["backends"].pop(), "backends"),
        (lambda t: t.update(backends=[t["backends"][0]] * 6), "backends"),
        (lambda t: t["backends"].append({"kind": "bitcoin-quorum"}), "backends[2].kind"),
        (lambda t: t["backends"][0].update(network="main"), "backends[0].network"),
        (lambda t: t["backends"][1].update(rpc_url="nope://x"), "backends[1]: rpc_url"),
        (lambda t: t.update(colour=1), "colour"),
        (lambda t: t.update(backends="x"), "backends"),
        (lambda t: t["backends"].__setitem__(0, "x"), "backends[0]"),
        (lambda t: t.update(network="moon"), "network"),
    ],
)
def test_bad_quorum_config_names_the_key(net: CoreDevnet, change: Callable, where: str) -> None:
    table = net.quorum_table()
    change(table)
    with pytest.raises(ChainConfigError) as caught:
        parse_config("devnet", table)
    assert where in caught.value.detail and AUTH[1] not in caught.value.detail


# --- properties of the window rule ---------------------------------------------------------------

MIN_CONF = 3


class FakeBackend:
    kind = "fake"

    def __init__(self, reading: ReserveReading) -> None:
        self.reading = reading

    async def read_reserves(self) -> ReserveReading:
        return self.reading


def _reading(height: int, coins: list[tuple[int, int, int]], bit: int) -> ReserveReading:
    utxos = [
        Utxo(f"{i:064x}", 0, value, "addr", h, height - h + 1)
        for i, (h, value, mask) in enumerate(coins)
        if mask & bit and h <= height
    ]
    counted = tuple(u for u in utxos if u.uncounted_reason(MIN_CONF) is None)
    uncounted = tuple(u for u in utxos if u.uncounted_reason(MIN_CONF) is not None)
    block = BlockRef("bip122:x", height, f"{height:064x}", datetime.fromtimestamp(0, tz=timezone.utc))
    return ReserveReading("q", block, MIN_CONF, counted, sum(u.value_sat for u in counted), 1, uncounted)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(10, 20),
    st.integers(0, 4),
    st.lists(st.tuples(st.integers(1, 24), st.integers(1, 10**8), st.integers(1, 3)), max_size=12),
)
def test_the_window_never_counts_a_coin_one_backend_lacks(low: int, gap: int, coins: list) -> None:
    high = low + gap
    readings = [_reading(high, coins, 1), _reading(low, coins, 2)]
    quorum = BitcoinQuorumAdapter.__new__(BitcoinQuorumAdapter)
    quorum.config = BitcoinQuorumConfig("q", "regtest", (), (), MIN_CONF)
    quorum.backends = [FakeBackend(r) for r in readings]
    quorum._labels = ["a", "b"]

    async def best_at(height: int) -> str:
        return f"{height:064x}"

    quorum._lookups = [best_at, best_at]
    deep = low - MIN_CONF + 1
    # At one tip any one-sided counted coin disagrees; between tips only one the lower tip lacks.
    one_sided = {1, 2} if gap == 0 else {1}
    disagree = gap >= MIN_CONF or any(mask in one_sided and h <= deep for h, _, mask in coins)
    try:
        reading = asyncio.run(quorum.read_reserves())
    except ChainDataError:
        assert disagree
        return
    assert not disagree
    assert reading.block.height == low
    both = {f"{i:064x}" for i, (h, _, mask) in enumerate(coins) if mask == 3 and h <= deep}
    assert {u.txid for u in reading.utxos} == both
    assert reading.total_sat == sum(u.value_sat for u in reading.utxos)
