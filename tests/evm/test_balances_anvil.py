"""Provider balances (chains.evm.balances) against a real anvil, with the lying proxy (a TEST DOUBLE)
in front of it for the lies no real node tells: ERC-20 `balanceOf` and native `eth_getBalance` at
the confirmed block, pinned by number and re-checked by hash, endpoints that must agree, and
answers that are garbage. Every failure is a ChainError whose detail names the reading, the chain
and the block, and never an endpoint's URL or key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from chains.base import RpcAgreement
from chains.devnet.evm import load_artifact
from chains.errors import ChainConfigError, ChainDataError, ChainError, ChainUnavailable
from chains.evm.balances import EvmBalanceAdapter
from chains.evm.config import parse_config
from chains.evm.endpoint import BALANCE_OF_SELECTOR, DECIMALS_SELECTOR
from tests.evm.conftest import ANVIL_CHAIN_ID
from tests.evm.lying_proxy import Error, LyingProxy, Raw, serve_proxy, word
from tests.support import free_port

pytestmark = pytest.mark.anvil

CONFIRMATIONS = 3
LABEL = "provider lp-x collateral"
CHAIN = f"eip155:{ANVIL_CHAIN_ID}"
ONE_ETH = 10**18


@pytest.fixture(scope="module")
def token(anvil: str) -> tuple[Web3, Any]:
    """A 6-decimals token on anvil: accounts[1] holds 700,000 units and accounts[2] 300,000."""
    w3 = Web3(HTTPProvider(anvil, request_kwargs={"timeout": 10}))
    owner = w3.eth.accounts[0]
    artifact = load_artifact()
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor("Coll", "COL", 6).transact({"from": owner}))
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
    confirm(w3, contract.functions.mint(w3.eth.accounts[1], 1_000_000, b"\x02" * 32, 0).transact({"from": owner}))
    confirm(w3, contract.functions.transfer(w3.eth.accounts[2], 300_000).transact({"from": w3.eth.accounts[1]}))
    return w3, contract


def confirm(w3: Web3, tx: Any) -> int:
    receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=10)
    assert receipt["status"] == 1
    return receipt["blockNumber"]


@pytest.fixture
def chain(anvil: str, token: tuple[Web3, Any]) -> Iterator[tuple[Web3, Any]]:
    """The token with CONFIRMATIONS blocks on top; anvil is reverted afterwards."""
    w3, contract = token
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    w3.provider.make_request("anvil_mine", [hex(CONFIRMATIONS)])
    yield w3, contract
    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True


@pytest.fixture
def proxy(anvil: str) -> Iterator[tuple[LyingProxy, str]]:
    yield from serve_proxy(anvil)


def holders(w3: Web3) -> list[str]:
    return [w3.eth.accounts[1], w3.eth.accounts[2]]


def make(contract: Any, urls: list[str], *, native: bool = False, decimals: int | None = None, **overrides: Any):
    """A balance reader on the connection of a deployment whose endpoints are `urls`."""
    table = {
        "chain_id": CHAIN,
        "rpc_urls": urls,
        "contract": contract.address,
        "confirmations": CONFIRMATIONS,
        # No lie here hangs: 5 s so that a loaded machine (the suite on 2 cores) does not time out an honest node.
        "timeout_seconds": 5,
        "retries": 0,
        **overrides,
    }
    return EvmBalanceAdapter(
        parse_config("eth", table),
        label=LABEL,
        token=None if native else contract.address,
        holders=holders(contract.w3),
        decimals=decimals if decimals is not None else (18 if native else 6),
    )


async def read(adapter: EvmBalanceAdapter) -> Any:
    try:
        return await adapter.read_balances()
    finally:
        await adapter.aclose()


def confirmed(w3: Web3) -> int:
    return w3.eth.block_number - CONFIRMATIONS


async def test_erc20_balances_at_the_confirmed_block_and_not_a_shallower_one(
    anvil: str, chain: tuple[Web3, Any]
) -> None:
    w3, contract = chain
    before = await read(make(contract, [anvil]))
    number = confirmed(w3)
    assert (before.balances, before.total, before.decimals, before.rpc) == ((700_000, 300_000), 1_000_000, 6, None)
    assert before.asset == contract.address and before.holders == tuple(holders(w3))
    assert (before.block.chain_id, before.block.height) == (CHAIN, number)
    assert before.block.hash == w3.eth.get_block(number)["hash"].to_0x_hex()
    moved_at = confirm(w3, contract.functions.transfer(w3.eth.accounts[2], 5).transact({"from": w3.eth.accounts[1]}))
    w3.provider.make_request("anvil_mine", [hex(CONFIRMATIONS - 1)])
    shallow = await read(make(contract, [anvil]))
    assert shallow.block.height == moved_at - 1 and shallow.balances == (700_000, 300_000)
    w3.provider.make_request("anvil_mine", [hex(1)])
    deep = await read(make(contract, [anvil]))
    assert deep.block.height == moved_at and deep.balances == (699_995, 300_005) and deep.total == 1_000_000


async def test_native_balances_at_the_confirmed_block(anvil: str, chain: tuple[Web3, Any]) -> None:
    w3, contract = chain
    a, b = holders(w3)
    sent_at = confirm(w3, w3.eth.send_transaction({"from": a, "to": b, "value": 3 * ONE_ETH}))
    at = {h: w3.eth.get_balance(h, block_identifier=sent_at) for h in (a, b)}
    w3.provider.make_request("anvil_mine", [hex(CONFIRMATIONS - 1)])
    shallow = await read(make(contract, [anvil], native=True))
    assert shallow.block.height == sent_at - 1 and shallow.balances[1] == at[b] - 3 * ONE_ETH
    w3.provider.make_request("anvil_mine", [hex(1)])
    deep = await read(make(contract, [anvil], native=True))
    assert deep.block.height == sent_at and deep.balances == (at[a], at[b]) and deep.total == at[a] + at[b]
    assert (deep.asset, deep.decimals) == (None, 18)


async def test_declared_decimals_must_be_the_tokens(anvil: str, chain: tuple[Web3, Any]) -> None:
    w3, contract = chain
    with pytest.raises(ChainDataError) as info:
        await read(make(contract, [anvil], decimals=8))
    assert_where(info.value, confirmed(w3))
    assert "decimals() is 6 on chain" in info.value.detail and "declared 8" in info.value.detail


async def test_an_honest_second_endpoint_agrees_and_the_read_is_at_the_lowest_pick(
    anvil: str, chain: tuple[Web3, Any], proxy: tuple[LyingProxy, str]
) -> None:
    w3, contract = chain
    fake, url = proxy
    agreed = await read(make(contract, [anvil, url]))
    assert agreed.rpc == RpcAgreement(endpoints=2, answered=2, agreed=2, quorum=2)
    assert agreed.balances == (700_000, 300_000) and agreed.block.height == confirmed(w3)
    # A lagging endpoint (its head 2 blocks behind) pulls the read down to a block both serve.
    fake.rewrite = lambda m, p, r: hex(int(r, 16) - 2) if m == "eth_blockNumber" else r
    lagging = await read(make(contract, [anvil, url], native=True))
    assert lagging.block.height == confirmed(w3) - 2
    assert lagging.block.hash == w3.eth.get_block(lagging.block.height)["hash"].to_0x_hex()
    assert {"eth_getBalance", "eth_getBlockByNumber"} <= set(fake.methods)


def is_balance_call(m: str, p: list[Any]) -> bool:
    return (m == "eth_call" and p[0]["data"].startswith(BALANCE_OF_SELECTOR)) or m == "eth_getBalance"


# lie -> (rewrite, native?, error class, what the detail says after "<label>: ")
LIES = {
    "token balance": (
        lambda m, p, r: word(1) if is_balance_call(m, p) else r,
        False,
        ChainDataError,
        r"endpoints disagree at block {n} on {chain}: endpoint 1/2 vs endpoint 2/2: balance of 0x[0-9a-fA-F]{{40}} "
        r"\d+ vs 1",
    ),
    "native balance": (
        lambda m, p, r: hex(1) if m == "eth_getBalance" else r,
        True,
        ChainDataError,
        r"endpoints disagree at block {n} on {chain}: endpoint 1/2 vs endpoint 2/2: balance of 0x",
    ),
    "decimals": (
        lambda m, p, r: word(18) if m == "eth_call" and p[0]["data"] == DECIMALS_SELECTOR else r,
        False,
        ChainDataError,
        r"endpoints disagree at block {n} on {chain}: endpoint 1/2 vs endpoint 2/2: decimals\(\) 6 vs 18",
    ),
    "block hash": (
        lambda m, p, r: {**r, "hash": "0x" + "ee" * 32} if m == "eth_getBlockByNumber" and isinstance(r, dict) else r,
        False,
        ChainDataError,
        r"endpoints disagree at block {n} on {chain}: endpoint 1/2 vs endpoint 2/2: block hash 0x",
    ),
    "hash flapping": (
        lambda m, p, r: (
            {**r, "hash": "0x" + __import__("os").urandom(32).hex()}
            if m == "eth_getBlockByNumber" and isinstance(r, dict)
            else r
        ),
        True,
        ChainDataError,
        r"1 of 2 endpoints answered at block {n} on {chain}, quorum 2: .*block {n} changed hash during 2 reads",
    ),
    "node error": (
        lambda m, p, r: Error(-32000, "header not found") if is_balance_call(m, p) else r,
        True,
        ChainUnavailable,
        r"1 of 2 endpoints answered at block {n} on {chain}, quorum 2: .*node error: .*header not found",
    ),
    "short word": (
        lambda m, p, r: "0x1234" if m == "eth_call" else r,
        False,
        ChainDataError,
        r"1 of 2 endpoints answered at block {n} on {chain}, quorum 2: .* at block {n} returned 2 bytes, not 32",
    ),
    "html": (
        lambda m, p, r: Raw(200, b"<html>busy</html>") if m == "eth_getBalance" else r,
        True,
        ChainDataError,
        r"1 of 2 endpoints answered at block {n} on {chain}, quorum 2: .*eth_getBalance\(0x[0-9a-fA-F]{{40}}\) "
        r"at block {n}: malformed",
    ),
}


def assert_where(exc: ChainError, number: int, pattern: str | None = None) -> None:
    """The detail names the reading, the chain and the block, and holds no URL or key."""
    detail = exc.detail
    assert detail.startswith(f"{LABEL}: ") and CHAIN in detail and f"block {number}" in detail, detail
    assert "SECRETKEY" not in detail and "127.0.0.1" not in detail and "http" not in detail, detail
    if pattern is not None:
        assert re.search(pattern.format(n=number, chain=re.escape(CHAIN)), detail), detail


@pytest.mark.parametrize("lie", sorted(LIES))
async def test_a_lying_endpoint_never_gives_a_balance(
    lie: str, anvil: str, chain: tuple[Web3, Any], proxy: tuple[LyingProxy, str]
) -> None:
    w3, contract = chain
    fake, url = proxy
    rewrite, native, error, pattern = LIES[lie]
    fake.rewrite = rewrite
    with pytest.raises(error) as info:
        await read(make(contract, [anvil, url], native=native))
    assert_where(info.value, confirmed(w3), pattern)


@pytest.mark.parametrize("lie", ["node error", "hash flapping", "token balance"])
async def test_two_honest_endpoints_outlast_a_failing_one_but_never_a_disagreeing_one(
    lie: str, anvil: str, chain: tuple[Web3, Any], proxy: tuple[LyingProxy, str]
) -> None:
    w3, contract = chain
    fake, url = proxy
    fake.rewrite, native = LIES[lie][0], LIES[lie][1]
    second = serve_proxy(anvil)  # a faithful second endpoint of the same node
    _, honest = next(second)
    try:
        adapter = make(contract, [anvil, honest, url], native=native)
        if lie == "token balance":  # an answer that disagrees is refused, never out-voted
            with pytest.raises(ChainDataError) as info:
                await read(adapter)
            assert_where(info.value, confirmed(w3), LIES[lie][3].replace("1/2 vs endpoint 2/2", "1/3 vs endpoint 3/3"))
            return
        reading = await read(adapter)
    finally:
        second.close()
    assert reading.rpc == RpcAgreement(endpoints=3, answered=2, agreed=2, quorum=2)
    assert reading.block.height == confirmed(w3)


async def test_a_single_endpoints_own_error_names_the_chain_and_the_block(
    anvil: str, chain: tuple[Web3, Any], proxy: tuple[LyingProxy, str]
) -> None:
    w3, contract = chain
    fake, url = proxy
    fake.rewrite = lambda m, p, r: "0x1234" if m == "eth_call" else r
    with pytest.raises(ChainDataError) as info:
        await read(make(contract, [url]))
    assert_where(info.value, confirmed(w3), r"at block {n} returned 2 bytes, not 32")
    dead = f"http://127.0.0.1:{free_port()}/v3/SECRETKEY"
    with pytest.raises(ChainUnavailable) as down:
        await read(make(contract, [dead]))
    detail = down.value.detail
    assert detail.startswith(f"{LABEL}: ") and CHAIN in detail and "eth_blockNumber" in detail, detail
    assert "SECRETKEY" not in detail and "127.0.0.1" not in detail


GARBAGE = (None, "0xzz", "-0x1", {"x": 1}, [1, 2], 12.5, True, Raw(500, b"x"), Raw(200, b"{"))
METHODS = [(False, m) for m in ("eth_blockNumber", "eth_getBlockByNumber", "eth_chainId", "eth_call")]
METHODS.append((True, "eth_getBalance"))


@pytest.mark.parametrize("native,method", METHODS, ids=[m for _, m in METHODS])
async def test_garbage_at_every_method_is_a_chain_error(
    native: bool, method: str, anvil: str, chain: tuple[Web3, Any], proxy: tuple[LyingProxy, str]
) -> None:
    _, contract = chain
    fake, url = proxy
    for garbage in GARBAGE:
        fake.rewrite = lambda m, p, r, garbage=garbage: garbage if m == method else r
        # 2 s: every case ends in an error anyway, and a slow honest answer must not stretch nine reads.
        with pytest.raises(ChainError) as info:
            await read(make(contract, [url], native=native, timeout_seconds=2))
        detail = info.value.detail
        assert detail.startswith(f"{LABEL}: ") and CHAIN in detail, (method, garbage, detail)
        assert "SECRETKEY" not in detail and "127.0.0.1" not in detail, detail


def test_bad_declarations_are_config_errors(anvil: str) -> None:
    connection = parse_config("eth", {"chain_id": CHAIN, "rpc_url": anvil, "contract": "0x" + "11" * 20})
    good = "0x" + "22" * 20
    bad = [
        {"token": "0x22", "holders": [good], "decimals": 6},
        {"token": None, "holders": [], "decimals": 18},
        {"token": None, "holders": [good] * 21, "decimals": 18},
        {"token": None, "holders": [good, good.upper().replace("0X", "0x")], "decimals": 18},
        {"token": None, "holders": ["0xAbCdEf2222222222222222222222222222222222"], "decimals": 18},
        {"token": None, "holders": [good], "decimals": 37},
        {"token": None, "holders": [good], "decimals": True},
    ]
    for kwargs in bad:
        with pytest.raises(ChainConfigError) as info:
            EvmBalanceAdapter(connection, label=LABEL, **kwargs)
        assert info.value.detail.startswith(f"{LABEL}."), info.value.detail
