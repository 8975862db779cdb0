"""Held balances and RPC quorums against a real anvil, with a lying proxy (a TEST DOUBLE) in front of it.

The proxy (tests/evm/lying_proxy.py) forwards to anvil and rewrites chosen answers: block hashes,
node errors, hangs, garbage. Whatever it does, the adapter returns a ChainError naming the
deployment and the block, or, when the honest endpoints still make the quorum, a reading that
says how many answered; never a number taken from the liar.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from chains.base import RpcAgreement
from chains.devnet.evm import load_artifact
from chains.errors import ChainDataError, ChainError, ChainUnavailable
from chains.evm.adapter import EvmErc20Adapter
from chains.evm.config import parse_config
from chains.evm.endpoint import BALANCE_OF_SELECTOR
from tests.evm.conftest import ANVIL_CHAIN_ID
from tests.evm.lying_proxy import Error, Hang, LyingProxy, Raw, serve_proxy, word
from tests.support import free_port

pytestmark = pytest.mark.anvil

CONFIRMATIONS = 3
NAME = "anvil-token"
CHAIN = f"eip155:{ANVIL_CHAIN_ID}"


@pytest.fixture(scope="module")
def token(anvil: str) -> tuple[Web3, Any]:
    """A ReserveToken on anvil; accounts[1] holds 1,000,000 units and accounts[5] (treasury) 300,000."""
    w3 = Web3(HTTPProvider(anvil, request_kwargs={"timeout": 10}))
    owner = w3.eth.accounts[0]
    artifact = load_artifact()
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor("Held", "HLD", 8).transact({"from": owner}))
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
    send(w3, contract.functions.mint(w3.eth.accounts[1], 1_000_000, b"\x01" * 32, 0), owner)
    send(w3, contract.functions.transfer(w3.eth.accounts[5], 300_000), w3.eth.accounts[1])
    return w3, contract


def send(w3: Web3, call: Any, sender: str) -> int:
    receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}), timeout=10)
    assert receipt["status"] == 1
    return receipt["blockNumber"]


@pytest.fixture
def chain(anvil: str, token: tuple[Web3, Any]) -> Iterator[tuple[Web3, Any]]:
    """The token with CONFIRMATIONS blocks mined on top; anvil is reverted afterwards."""
    w3, contract = token
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    w3.provider.make_request("anvil_mine", [hex(CONFIRMATIONS)])
    yield w3, contract
    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True


@pytest.fixture
def proxy(anvil: str) -> Iterator[tuple[LyingProxy, str]]:
    yield from serve_proxy(anvil)


def make(contract: Any, urls: list[str], **overrides: Any) -> EvmErc20Adapter:
    w3 = contract.w3
    table = {
        "chain_id": CHAIN,
        "rpc_urls": urls,
        "contract": contract.address,
        "confirmations": CONFIRMATIONS,
        "timeout_seconds": 1,
        "retries": 0,
        "expected_decimals": 8,
        "exclusions": [
            {"address": w3.eth.accounts[5], "category": "treasury", "reason": "issuer treasury"},
            {"address": "0x" + "00" * 19 + "01", "category": "burn", "reason": "precompile, no key"},
        ],
        **overrides,
    }
    return EvmErc20Adapter(parse_config(NAME, table))


async def read(adapter: EvmErc20Adapter) -> Any:
    try:
        return await adapter.read_supply()
    finally:
        await adapter.aclose()


async def test_held_balance_is_the_one_at_the_supplys_block(anvil: str, chain: tuple[Web3, Any]) -> None:
    w3, contract = chain
    before = await read(make(contract, [anvil]))
    assert before.rpc is None and [h.balance for h in before.held] == [300_000, 0]
    moved_at = send(w3, contract.functions.transfer(w3.eth.accounts[5], 50), w3.eth.accounts[1])
    w3.provider.make_request("anvil_mine", [hex(CONFIRMATIONS - 1)])
    shallow = await read(make(contract, [anvil]))
    assert shallow.block.height == moved_at - 1 and shallow.held[0].balance == 300_000
    w3.provider.make_request("anvil_mine", [hex(1)])
    deep = await read(make(contract, [anvil]))
    assert deep.block.height == moved_at and deep.held[0].balance == 300_050
    assert deep.held[0].balance == contract.functions.balanceOf(w3.eth.accounts[5]).call(block_identifier=moved_at)


async def test_anvil_and_an_honest_proxy_agree(
    anvil: str, chain: tuple[Web3, Any], proxy: tuple[LyingProxy, str]
) -> None:
    _, contract = chain
    reading = await read(make(contract, [anvil, proxy[1]]))
    assert reading.rpc == RpcAgreement(endpoints=2, answered=2, agreed=2, quorum=2)
    assert reading.total_supply == 1_000_000 and reading.held[0].balance == 300_000


async def test_read_at_the_lowest_picked_block(
    anvil: str, chain: tuple[Web3, Any], proxy: tuple[LyingProxy, str]
) -> None:
    # A lagging endpoint (its head 5 blocks behind) pulls the read down to a block both can serve.
    w3, contract = chain
    fake, url = proxy
    fake.rewrite = lambda m, p, r: hex(int(r, 16) - 5) if m == "eth_blockNumber" else r
    w3.provider.make_request("anvil_mine", [hex(5)])  # so that the lagging head still holds the token
    reading = await read(make(contract, [anvil, url]))
    assert reading.block.height == w3.eth.block_number - CONFIRMATIONS - 5
    assert reading.block.hash == w3.eth.get_block(reading.block.height)["hash"].to_0x_hex()


def lie_about_hash(method: str, params: list[Any], result: Any) -> Any:
    if method == "eth_getBlockByNumber" and isinstance(result, dict):
        return {**result, "hash": "0x" + "ee" * 32}
    return result


def balance_call(params: list[Any]) -> bool:
    return params[0]["data"].startswith(BALANCE_OF_SELECTOR)


LIES = {
    "block hash": (
        lie_about_hash,
        ChainDataError,
        "endpoints disagree at block {n} on eip155:31339: endpoint 1/2 vs endpoint 2/2: block hash 0x",
    ),
    "supply": (
        lambda m, p, r: word(999) if m == "eth_call" and p[0]["data"] == "0x18160ddd" else r,
        ChainDataError,
        "endpoints disagree at block {n} on eip155:31339: endpoint 1/2 vs endpoint 2/2: totalSupply() 1000000 vs 999",
    ),
    "held balance": (
        lambda m, p, r: word(1) if m == "eth_call" and balance_call(p) else r,
        ChainDataError,
        "endpoint 1/2 vs endpoint 2/2: balanceOf(0x",
    ),
    "node error": (
        lambda m, p, r: Error(-32000, "header not found") if m == "eth_call" else r,
        ChainUnavailable,
        "1 of 2 endpoints answered at block {n} on eip155:31339, quorum 2: anvil-token endpoint 2/2: ",
    ),
    "timeout": (lambda m, p, r: Hang(1.5) if m == "eth_call" else r, ChainUnavailable, "timed out"),
    "html": (
        lambda m, p, r: Raw(200, b"<html>busy</html>") if m == "eth_call" else r,
        ChainDataError,
        "at block {n} on eip155:31339, quorum 2: anvil-token endpoint 2/2: totalSupply() at block {n}: malformed",
    ),
    "short word": (lambda m, p, r: "0x1234" if m == "eth_call" else r, ChainDataError, "returned 2 bytes, not 32"),
    "wrong chain": (
        lambda m, p, r: hex(1) if m == "eth_chainId" else r,
        ChainDataError,
        "node is on chain eip155:1, configured for eip155:31339",
    ),
    "hash flapping": (
        lambda m, p, r: {**r, "hash": "0x" + __import__("os").urandom(32).hex()} if m == "eth_getBlockByNumber" else r,
        ChainDataError,
        "changed hash during 2 reads",
    ),
}


@pytest.mark.parametrize("lie", sorted(LIES))
async def test_a_lying_endpoint_never_gives_a_reading(
    lie: str,
    anvil: str,
    chain: tuple[Web3, Any],
    proxy: tuple[LyingProxy, str],
) -> None:
    w3, contract = chain
    fake, url = proxy
    rewrite, error, match = LIES[lie]
    fake.rewrite = rewrite
    first = w3.eth.block_number - CONFIRMATIONS
    with pytest.raises(error) as info:
        await read(make(contract, [anvil, url]))
    detail = info.value.detail
    # The block the read was made at: between the confirmed block before it and the one after it
    # (a block mined meanwhile moves it; a loaded machine once showed that).
    said = re.search(r"block (\d+)", detail)
    assert said is not None, detail
    number = int(said.group(1))
    assert first <= number <= w3.eth.block_number - CONFIRMATIONS
    expected = match.format(n=number)
    # totalSupply(), decimals() and the held balances are read together: any of them may be the
    # call that meets the lie first.
    calls = [expected.replace("totalSupply()", other) for other in ("totalSupply()", "decimals()", "balanceOf(")]
    assert detail.startswith(f"{NAME}: ") and (
        any(c in detail for c in calls)
        or (
            "totalSupply()" in expected
            and re.search(
                re.escape(expected.split("totalSupply()")[0])
                + r"balanceOf\(0x[0-9a-f]{40}\)"
                + re.escape(expected.split("totalSupply()")[1]),
                detail,
            )
        )
    )
    assert f"block {number}" in detail  # every error says where
    assert "SECRETKEY" not in detail and "127.0.0.1" not in detail


@pytest.mark.parametrize("lie", ["block hash", "node error", "wrong chain", "timeout"])
async def test_two_honest_endpoints_outlast_a_liar(
    lie: str,
    anvil: str,
    chain: tuple[Web3, Any],
    proxy: tuple[LyingProxy, str],
) -> None:
    _, contract = chain
    fake, url = proxy
    honest = LyingProxy(anvil)
    from chains.devnet.http import serve_in_thread

    honest_url, stop = serve_in_thread(honest)
    fake.rewrite = LIES[lie][0]
    try:
        # The honest endpoints get seconds, not the 1 s of the other tests: a busy CI machine (the full
        # suite in parallel) made one miss 1 s. A hang must then outlast that limit by far.
        if lie == "block hash":  # an answer that disagrees is never out-voted
            with pytest.raises(ChainDataError, match="endpoints disagree"):
                await read(make(contract, [anvil, honest_url, url], timeout_seconds=5))
            return
        if lie == "timeout":
            fake.rewrite = lambda method, params, result: Hang(30) if method == "eth_call" else result
        timeout = 3 if lie == "timeout" else 5
        reading = await read(make(contract, [anvil, honest_url, url], timeout_seconds=timeout))
    finally:
        stop()
    assert reading.rpc == RpcAgreement(endpoints=3, answered=2, agreed=2, quorum=2)
    assert reading.total_supply == 1_000_000


async def test_held_sum_above_supply_is_refused(
    anvil: str, chain: tuple[Web3, Any], proxy: tuple[LyingProxy, str]
) -> None:
    w3, contract = chain
    fake, url = proxy
    fake.rewrite = lambda m, p, r: word(600_000) if m == "eth_call" and balance_call(p) else r
    with pytest.raises(ChainDataError) as info:
        await read(make(contract, [url]))
    number = w3.eth.block_number - CONFIRMATIONS
    assert info.value.detail == (f"{NAME}: held balances sum to 1200000 at block {number}, above totalSupply() 1000000")


async def test_dead_endpoint_with_the_quorum_met(
    anvil: str, chain: tuple[Web3, Any], proxy: tuple[LyingProxy, str]
) -> None:
    _, contract = chain
    dead = f"http://127.0.0.1:{free_port()}"
    reading = await read(make(contract, [dead, anvil, proxy[1]]))
    assert reading.rpc == RpcAgreement(endpoints=3, answered=2, agreed=2, quorum=2)


async def test_errors_are_chain_errors_for_every_lie(
    anvil: str, chain: tuple[Web3, Any], proxy: tuple[LyingProxy, str]
) -> None:
    # garbage at every method in turn: always a ChainError, never another exception or a reading
    _, contract = chain
    fake, url = proxy
    # A bare JSON number where a hex quantity belongs: web3 takes it as one, so it must be implausible
    # too (12 was a head of 12: block 9 then existed or not by the order the tests ran in).
    for method in ("eth_blockNumber", "eth_getBlockByNumber", "eth_chainId", "eth_call"):
        for garbage in (None, "0xzz", {"x": 1}, [1, 2], 10**40, Raw(500, b"x"), Raw(200, b"{")):
            fake.rewrite = lambda m, p, r, method=method, garbage=garbage: garbage if m == method else r
            with pytest.raises(ChainError):
                await read(make(contract, [url]))
