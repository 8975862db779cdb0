"""Core RPC reserve adapter on the devnet double: wallets, coinbase, range widening, lies, config and the double's
shapes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chains.bitcoin.core.adapter import parse_config, single_branch
from chains.errors import ChainConfigError, ChainDataError
from chains.registry import get_spec
from tests.bitcoin.core_support import AUTH, CoreDevnet
from tests.doubles.bitcoin_core_scan import RpcFault
from tests.doubles.merkleblock import parse_merkle_block

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "core_rpc_docs.json").read_text())
JSON_TYPES = {"string": str, "number": (int, Decimal), "boolean": bool, "array": list}


@pytest.fixture
async def net() -> AsyncIterator[CoreDevnet]:
    devnet = CoreDevnet.start()
    yield devnet
    await devnet.close()


def pay(net: CoreDevnet, kind: str, index: int, value: int) -> str:
    chain = net.chain
    return chain.send(chain.wallets.reserve_address(kind, index), value, from_wallet=chain.wallets.funding)


# --- readings ----------------------------------------------------------------------------------


async def test_reading_names_wallets_and_matches_esplora(net: CoreDevnet) -> None:
    pay(net, "wpkh", 0, 50_000)
    pay(net, "wsh_sortedmulti", 2, 70_000)
    net.chain.mine(6)
    core, esplora = await net.core().read_reserves(), await net.esplora().read_reserves()
    assert core.block == esplora.block and core.median_time == esplora.median_time

    def key(r):
        return [(u.txid, u.vout, u.value_sat, u.height, u.wallet, u.address) for u in r.utxos]

    assert key(core) == key(esplora) and core.total_sat == 120_000
    assert {u.wallet for u in core.utxos} == {"devnet-1", "devnet-3"}


async def test_a_coinbase_to_a_reserve_is_immature_until_100_blocks(net: CoreDevnet) -> None:
    address = net.chain.wallets.reserve_address("wpkh", 1)
    net.chain.mine(1, to_address=address)
    adapter = net.core()
    young = await adapter.read_reserves()
    (coin,) = [u for u in young.uncounted if u.address == address]
    assert coin.coinbase and coin.uncounted_reason(6) == "immature_coinbase"
    net.chain.mine(99)
    (counted,) = [u for u in (await adapter.read_reserves()).utxos if u.address == address]
    assert counted.coinbase and counted.confirmations == 100


async def test_ranges_widen_while_a_coin_sits_near_their_end(net: CoreDevnet) -> None:
    pay(net, "tr", 40, 11_000)  # within gap_limit 20 of the first range end (50)
    pay(net, "tr", 90, 22_000)  # only seen once the range has doubled to 100
    net.chain.mine(6)
    adapter = net.core(scan_range=50)
    reading = await adapter.read_reserves()
    assert sorted(u.value_sat for u in reading.utxos) == [11_000, 22_000]
    assert net.double.calls.count("scantxoutset") == 3  # 50 -> 100 -> 200, stable
    others = len(adapter.config.wallets) - 1  # single-branch ranged descriptors, still at 50
    assert reading.addresses_scanned == 200 + 50 * others


async def test_a_declared_address_list_is_scanned_with_addr(net: CoreDevnet) -> None:
    address = net.chain.wallets.reserve_address("wpkh", 3)
    pay(net, "wpkh", 3, 33_000)
    net.chain.mine(6)
    adapter = net.core(
        descriptors=[], wallets=[{"name": "hot", "addresses": [address]}, {"name": "again", "addresses": [address]}]
    )
    reading = await adapter.read_reserves()
    (coin,) = reading.utxos
    assert (coin.wallet, coin.lock) == ("hot", None)
    (dup,) = reading.duplicates
    assert dup.wallets == ("hot", "again") and (dup.txid, dup.vout) == (coin.txid, coin.vout)


async def test_outputs_spent_in_the_mempool_are_left_out(net: CoreDevnet) -> None:
    txid = pay(net, "wpkh", 0, 44_000)
    net.chain.mine(6)

    def tamper(method: str, params: list, call: Any) -> Any:
        result = call()
        if method == "gettxspendingprevout":
            for item in result:
                if item["txid"] == txid:
                    item["spendingtxid"] = "cd" * 32
        return result

    url, _ = net.extra_double(tamper)
    reading = await net.core(url).read_reserves()
    assert txid not in {u.txid for u in reading.utxos + reading.uncounted}


# --- lies and failures -------------------------------------------------------------------------


def lying(net: CoreDevnet, method: str, change: Any) -> str:
    def tamper(name: str, params: list, call: Any) -> Any:
        result = call()
        return change(result, params) if name == method else result

    url, _ = net.extra_double(tamper)
    return url


async def test_another_network_is_refused(net: CoreDevnet) -> None:
    url = lying(net, "getblockhash", lambda r, p: "11" * 32 if p == [0] else r)
    with pytest.raises(ChainDataError, match="wrong network"):
        await net.core(url).read_reserves()


async def test_an_output_of_a_script_not_asked_for_is_a_lie(net: CoreDevnet) -> None:
    def add(result: dict, params: list) -> dict:
        if params[0] == "start":
            fake = {
                "txid": "ee" * 32,
                "vout": 0,
                "scriptPubKey": "0014" + "00" * 20,
                "desc": "raw()",
                "amount": Decimal("1.00000000"),
                "coinbase": False,
                "height": 5,
                "blockhash": net.chain.block_at(5).hash,
                "confirmations": result["height"] - 4,
            }
            result["unspents"].append(fake)
            result["total_amount"] += fake["amount"]
        return result

    with pytest.raises(ChainDataError, match="not asked for"):
        await net.core(lying(net, "scantxoutset", add)).read_reserves()


async def test_an_output_claiming_a_block_off_the_best_chain_is_refused(net: CoreDevnet) -> None:
    pay(net, "wpkh", 0, 55_000)
    net.chain.mine(6)

    def move(result: dict, params: list) -> dict:
        for unspent in result.get("unspents", []):
            unspent["blockhash"] = "77" * 32
        return result

    with pytest.raises(ChainDataError, match="reorg or inconsistent"):
        await net.core(lying(net, "scantxoutset", move)).read_reserves()


async def test_a_tip_that_keeps_moving_is_an_error_not_a_mixed_reading(net: CoreDevnet) -> None:
    def mine_during_scan(result: dict, params: list) -> dict:
        if params[0] == "start":
            net.chain.mine(1)
        return result

    with pytest.raises(ChainDataError, match="tip moved"):
        await net.core(lying(net, "scantxoutset", mine_during_scan)).read_reserves()


async def test_a_scan_at_another_block_is_redone(net: CoreDevnet) -> None:
    calls = {"n": 0}

    def stale_first(result: dict, params: list) -> dict:
        calls["n"] += 1
        return {**result, "bestblock": "22" * 32} if calls["n"] == 1 else result

    reading = await net.core(lying(net, "scantxoutset", stale_first)).read_reserves()
    assert reading.block.hash == net.chain.tip_hash and calls["n"] == 2


@pytest.mark.parametrize(
    ("method", "change"),
    [
        ("getblockheader", lambda r, p: {**r, "hash": "33" * 32}),
        ("getblockheader", lambda r, p: {**r, "mediantime": -1}),
        ("getbestblockhash", lambda r, p: 42),
        ("scantxoutset", lambda r, p: {**r, "total_amount": Decimal("0.1")} if p[0] == "start" else r),
        ("gettxspendingprevout", lambda r, p: r[:-1]),
    ],
)
async def test_malformed_answers_fail_the_read(net: CoreDevnet, method: str, change: Any) -> None:
    pay(net, "wpkh", 0, 66_000)
    net.chain.mine(6)
    with pytest.raises(ChainDataError):
        await net.core(lying(net, method, change)).read_reserves()


# --- config ------------------------------------------------------------------------------------


def test_both_kinds_are_registered() -> None:
    assert get_spec("bitcoin-core-rpc").role == get_spec("bitcoin-quorum").role == "reserve"


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"rpc_url": "ftp://u:p@h"}, "rpc_url"),
        ({"rpc_url": "http://u:p@h:99999"}, "rpc_url"),
        ({"rpc_url": 5}, "rpc_url"),
        ({"scan_range": 0}, "scan_range"),
        ({"scan_range": 10**6}, "scan_range"),
        ({"rpc_user": "u"}, "rpc_user"),
        ({"network": "main"}, "descriptors"),
        ({"colour": 1}, "colour"),
        ({"descriptors": [], "addresses": []}, "wallets"),
        ({"timeout_seconds": float("nan")}, "timeout_seconds"),
        ({"kind": "bitcoin-esplora"}, "kind"),
        ({"retries": True}, "retries"),
    ],
)
def test_bad_config_names_the_key_and_never_the_password(changes: dict, where: str) -> None:
    table = {
        "rpc_url": "http://user:pw-SECRET@127.0.0.1:8332",
        "network": "regtest",
        "descriptors": [
            "wpkh([0ec35f69/84h/1h/1h]tpubDDGjB4vyZJjcVXdgNiYaM8NM6QTq6NJr77UKmcLsYQfqH5LMoG14Fd4sWAm3HzyfEbP1NMgxnprHZTJKxXckG9CbjHVxx2A6FxhNKHmp9e5/0/*)"
        ],
    }
    table.update(changes)
    with pytest.raises(ChainConfigError) as caught:
        parse_config("custody", table)
    assert where in caught.value.detail and "SECRET" not in caught.value.detail


def test_config_repr_hides_the_url_and_password(net: CoreDevnet) -> None:
    config = parse_config("custody", net.core_table(rpc_user="u", rpc_password="pw-SECRET"))
    assert "SECRET" not in repr(config) and AUTH[1] not in repr(config)


def test_single_branch_picks_each_multipath_element() -> None:
    text = "wsh(multi(1,xpubA/<0;1>/*,xpubB/<2;3>/*))"
    assert single_branch(text, 0) == "wsh(multi(1,xpubA/0/*,xpubB/2/*))"
    assert single_branch(text, 1) == "wsh(multi(1,xpubA/1/*,xpubB/3/*))"


# --- the double against the documented shapes ---------------------------------------------------


def _shape(value: dict, required: dict, optional: dict | None = None) -> None:
    assert set(required) <= set(value) <= set(required) | set(optional or {})
    for key, kind in {**required, **(optional or {})}.items():
        if key in value:
            assert isinstance(value[key], JSON_TYPES[kind]) and not (
                kind == "number" and isinstance(value[key], bool)
            ), key


def rpc(net: CoreDevnet, method: str, *params: Any, version: str = "1.0") -> tuple[int, dict]:
    import base64

    auth = b"Basic " + base64.b64encode(f"{AUTH[0]}:{AUTH[1]}".encode())
    body = json.dumps({"jsonrpc": version, "id": 7, "method": method, "params": list(params)}).encode()
    status, payload, _ = net.double.respond("POST", auth, body)
    return status, json.loads(payload, parse_float=Decimal)


async def test_the_double_answers_in_the_documented_shapes(net: CoreDevnet) -> None:
    pay(net, "wpkh", 0, 12_345)
    net.chain.mine(2)
    _, header = rpc(net, "getblockheader", net.chain.tip_hash)
    _shape(header["result"], FIXTURE["getblockheader"]["required"], FIXTURE["getblockheader"]["optional"])
    _, genesis = rpc(net, "getblockheader", net.chain.block_at(0).hash)
    assert "previousblockhash" not in genesis["result"]
    wpkh = net.chain.wallets.reserve_descriptors["wpkh"]
    _, scan = rpc(net, "scantxoutset", "start", [{"desc": wpkh, "range": [0, 5]}])
    spec = FIXTURE["scantxoutset_start"]
    _shape(scan["result"], spec["required"])
    (unspent,) = scan["result"]["unspents"]
    _shape(unspent, spec["unspent"])
    assert unspent["amount"] == Decimal("0.00012345")
    _, spent = rpc(net, "gettxspendingprevout", [{"txid": unspent["txid"], "vout": 0}])
    _shape(spent["result"][0], FIXTURE["gettxspendingprevout"]["required"], FIXTURE["gettxspendingprevout"]["optional"])


@pytest.mark.parametrize(
    ("name", "method", "params"),
    [
        ("method_not_found", "getwalletinfo", []),
        ("height_out_of_range", "getblockhash", [10**6]),
        ("block_not_found", "getblockheader", ["44" * 32]),
    ],
)
async def test_the_double_answers_errors_as_a_node_does(net: CoreDevnet, name: str, method: str, params: list) -> None:
    expected = FIXTURE["errors"][name]
    status, reply = rpc(net, method, *params)
    assert (status, reply["error"], reply["result"]) == (expected["http_status_v1"], expected["error"], None)
    status, reply = rpc(net, method, *params, version="2.0")
    assert status == 200 and reply["error"] == expected["error"] and "result" not in reply


async def test_the_double_refuses_parse_errors_and_missing_auth(net: CoreDevnet) -> None:
    status, payload, headers = net.double.respond("POST", b"", b"{}")
    assert (status, payload) == (401, b"") and (b"www-authenticate", b'Basic realm="jsonrpc"') in headers
    import base64

    auth = b"Basic " + base64.b64encode(f"{AUTH[0]}:{AUTH[1]}".encode())
    status, payload, _ = net.double.respond("POST", auth, b"{not json")
    assert status == 500 and json.loads(payload)["error"] == FIXTURE["errors"]["parse_error"]["error"]


async def test_scan_objects_are_checked_like_core(net: CoreDevnet) -> None:
    wpkh = net.chain.wallets.reserve_descriptors["wpkh"]
    for bad, code in [
        ({"desc": wpkh, "range": [5, 1]}, -8),
        ({"desc": wpkh, "range": [0, 2_000_000]}, -8),
        ({"desc": wpkh.split("#")[0] + "#aaaaaaaa"}, -5),
        ("addr(bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4)", -5),
        ("nonsense(", -5),
        (7, -8),
    ]:
        _, reply = rpc(net, "scantxoutset", "start", [bad])
        assert reply["error"]["code"] == code, bad


# --- SPV through Core --------------------------------------------------------------------------


async def test_txoutproof_and_raw_transaction_prove_a_counted_coin(net: CoreDevnet) -> None:
    txids = [pay(net, "wpkh", i, 20_000 + i) for i in range(5)]
    net.chain.mine(1)
    client = net.core().client
    block = net.chain.block_at(net.chain.tip_height)
    for txid in txids:
        proof = parse_merkle_block(await client.tx_out_proof([txid]))
        assert proof.block_hash == block.hash and proof.tx_count == len(block.txids)
        assert proof.matched == ((txid, block.txids.index(txid)),)
        assert (await client.raw_transaction(txid)).hex() == net.chain.tx(txid).raw.hex()
    both = parse_merkle_block(await client.tx_out_proof(txids[:2], block.hash))
    assert {t for t, _ in both.matched} == set(txids[:2])


async def test_a_tampered_merkle_block_is_refused(net: CoreDevnet) -> None:
    txid = pay(net, "wpkh", 0, 20_000)
    net.chain.mine(1)
    raw = await net.core().client.tx_out_proof([txid])
    for broken in (raw[:-1], raw + b"\x00", raw[:90] + bytes([raw[90] ^ 1]) + raw[91:], raw[:40] + b"\x00" + raw[41:]):
        with pytest.raises(ChainDataError):
            parse_merkle_block(broken)


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_any_bytes_are_a_merkle_block_or_a_data_error(raw: bytes) -> None:
    try:
        parse_merkle_block(raw)
    except ChainDataError:
        pass


def test_rpc_fault_carries_core_code() -> None:
    fault = RpcFault(-8, "Block height out of range")
    assert (fault.code, fault.message) == (-8, "Block height out of range")
