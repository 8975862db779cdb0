"""Log checks on hostile eth_getLogs answers: every break is a ChainDataError naming the chain and block."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chains.errors import ChainDataError
from chains.evm.logs import LogsRangeTooLarge, _result
from chains.evm.logs_decode import BURN_TOPIC, MINT_TOPIC, TRANSFER_TOPIC, decode_logs

C = "0x" + "11" * 20
A = "0x" + "00" * 12 + "22" * 20
Z = "0x" + "00" * 32


def _log(block=5, index=0, **over):
    log = {
        "address": C,
        "blockNumber": hex(block),
        "logIndex": hex(index),
        "blockHash": "0x" + "aa" * 32,
        "transactionHash": "0x" + "bb" * 32,
        "topics": [TRANSFER_TOPIC, Z, A],
        "data": "0x" + "00" * 31 + "07",
        "removed": False,
    }
    log.update(over)
    return log


def _burn_data(text: bytes) -> str:
    pad = -(-len(text) // 32) * 32
    return (
        "0x"
        + (5).to_bytes(32, "big").hex()
        + (64).to_bytes(32, "big").hex()
        + len(text).to_bytes(32, "big").hex()
        + text.ljust(pad, b"\0").hex()
    )


def test_good_logs_decode():
    mint = _log(index=1, topics=[MINT_TOPIC, A, "0x" + "cd" * 32], data="0x" + "00" * 31 + "07" + "00" * 31 + "03")
    burn = _log(block=6, index=0, blockHash="0x" + "ab" * 32, topics=[BURN_TOPIC, A], data=_burn_data(b"bc1qxyz"))
    out = decode_logs([_log(), mint, burn], "t (eip155:1)", C.upper().replace("0X", "0x"), 5, 6)
    assert [g.kind for g in out] == ["transfer", "mint", "burn"]
    assert out[0].from_address == "0x" + "00" * 20 and out[0].amount == 7
    assert out[1].deposit_txid == "cd" * 32 and out[1].deposit_vout == 3
    assert out[2].btc_address == "bc1qxyz" and out[2].from_address == "0x" + "22" * 20


@pytest.mark.parametrize(
    "logs, words",
    [
        ([_log(address="0x" + "99" * 20)], "another contract"),
        ([_log(topics=["0x" + "ee" * 32, Z, A])], "unknown topic0"),
        ([_log(block=9)], "outside the range"),
        ([_log(removed=True)], "removed"),
        ([_log(index=1), _log(index=0)], "out of order"),
        ([_log(), _log()], "duplicated"),
        ([_log(index=0), _log(index=1, blockHash="0x" + "cc" * 32)], "two block hashes"),
        ([_log(data="0x" + "00" * 31)], "layout"),
        ([_log(topics=[TRANSFER_TOPIC, Z])], "layout"),
        ([_log(topics=[TRANSFER_TOPIC, Z, "0x" + "ff" * 32])], "layout"),
        ([_log(topics=[MINT_TOPIC, A, Z], data="0x" + "00" * 32 + "ff" * 32)], "layout"),
        ([_log(topics=[BURN_TOPIC, A], data="0x" + "00" * 96)], "layout"),
        ([_log(data="0xzz")], "malformed data"),
        ([_log(blockHash="0x12")], "blockHash"),
        ([_log(blockNumber=5)], "outside the range"),
        (["nonsense"], "not an object"),
        ({"not": "a list"}, "not a list"),
    ],
)
def test_bad_logs_are_refused_with_chain_and_block(logs, words):
    with pytest.raises(ChainDataError) as err:
        decode_logs(logs, "t (eip155:1)", C, 5, 6)
    assert words in err.value.detail and "eip155:1" in err.value.detail


def test_odd_burn_address_is_kept_out_not_fatal():
    # any holder picks the string: an unusable one must not stop the replay
    for raw in (b"\xff\xfe", b"x" * 500, b"a\nb"):
        out = decode_logs([_log(topics=[BURN_TOPIC, A], data=_burn_data(raw))], "t", C, 5, 6)
        assert out[0].btc_address is None


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=70),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
        max_leaves=20,
    )
)
def test_garbage_never_escapes_as_another_error(garbage):
    try:
        decode_logs(garbage if isinstance(garbage, list) else [garbage], "t", C, 0, 10)
    except ChainDataError:
        pass


def test_too_many_results_errors_are_their_own_class():
    for code, message in (
        (-32005, "x"),
        (-32000, "query returned more than 10000 results"),
        (-32602, "block range is too wide"),
        (-32000, "Log response size exceeded"),
    ):
        with pytest.raises(LogsRangeTooLarge):
            _result({"error": {"code": code, "message": message}}, (1, 9), "t")
    from web3.exceptions import Web3RPCError

    with pytest.raises(Web3RPCError):
        _result({"error": {"code": -32000, "message": "header not found"}}, (1, 9), "t")
