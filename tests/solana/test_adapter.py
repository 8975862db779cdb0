"""The solana-spl adapter against a Solana JSON-RPC TEST DOUBLE over real HTTP (tests/solana/double.py)."""

from __future__ import annotations

import dataclasses
import re
import time
import traceback
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chains.base import HeldAddress, SupplyAdapter
from chains.errors import ChainConfigError, ChainDataError, ChainError, ChainUnavailable
from chains.registry import get_spec
from chains.solana.adapter import SKIP_WINDOW, U64_MAX, SolanaSplAdapter, parse_block, parse_token_supply
from chains.solana.base58 import b58encode, decode32
from chains.solana.config import parse_config
from chains.solana.rpc import MAX_BODY_BYTES, parse_response
from tests.solana.double import DEVNET_GENESIS, MAINNET_GENESIS, Error, Hang, Raw, SolanaDouble, blockhash, serve
from tests.support import free_port

MAINNET = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"
SECRET = "SECRETKEY"


@pytest.fixture
def node() -> Iterator[tuple[SolanaDouble, str]]:
    double = SolanaDouble()
    base, stop = serve(double)
    yield double, f"{base}/?api-key={SECRET}"
    stop(wait=False)  # it winds down while the next test runs


def config(url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "solana-spl",
        "chain_id": MAINNET,
        "rpc_url": url,
        "mint": SolanaDouble.mint,
        "expected_decimals": 8,
        "timeout_seconds": 2,
        "retries": 1,
        **overrides,
    }


def make(url: str, **overrides: Any) -> SolanaSplAdapter:
    return get_spec("solana-spl").build(get_spec("solana-spl").parse_config("sol", config(url, **overrides)))


async def read(adapter: SolanaSplAdapter) -> Any:
    try:
        return await adapter.read_supply()
    finally:
        await adapter.aclose()


def assert_no_secret(exc: BaseException) -> None:
    text = "".join(traceback.format_exception(exc)) + repr(exc)
    assert SECRET not in text


# -- happy path -----------------------------------------------------------------------------------


async def test_reads_supply_at_the_finalized_slot(node: tuple[SolanaDouble, str]) -> None:
    double, url = node
    adapter = make(url)
    assert isinstance(adapter, SupplyAdapter) and adapter.kind == "solana-spl"
    reading = await read(adapter)
    slot = double.finalized_slot
    assert (reading.deployment, reading.contract) == ("sol", double.mint)
    assert (reading.total_supply, reading.decimals) == (double.supply, 8)
    assert reading.block.chain_id == MAINNET and reading.block.height == slot
    # attestations write every block hash as 64 lowercase hex: the bytes the base58 hash decodes to
    assert reading.block.hash == decode32(blockhash(slot)).hex()
    assert re.fullmatch(r"[0-9a-f]{64}", reading.block.hash)
    assert reading.block.time == datetime.fromtimestamp(double.block_time(slot), tz=timezone.utc)
    # genesis is checked before and after; getBlockTime is not needed when getBlock has the time
    assert double.calls == ["getGenesisHash", "getTokenSupply", "getBlock", "getGenesisHash"]


async def test_amount_beyond_float_precision_is_exact(node: tuple[SolanaDouble, str]) -> None:
    double, url = node
    double.supply = U64_MAX  # uiAmount (a float) cannot hold this; amount (a string) can
    assert (await read(make(url))).total_supply == U64_MAX


async def test_devnet_cluster(node: tuple[SolanaDouble, str]) -> None:
    double, url = node
    double.genesis = DEVNET_GENESIS
    reading = await read(make(url, chain_id="solana:" + DEVNET_GENESIS[:32]))
    assert reading.block.chain_id == "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1"


async def test_missing_block_time_falls_back_to_get_block_time(node: tuple[SolanaDouble, str]) -> None:
    double, url = node
    double.overrides["getBlock"] = lambda p: {**double.block(p[0]), "blockTime": None}
    reading = await read(make(url))
    assert reading.block.time.timestamp() == double.block_time(double.finalized_slot)
    assert "getBlockTime" in double.calls


async def test_no_block_time_at_all_is_data_error(node: tuple[SolanaDouble, str]) -> None:
    double, url = node
    double.overrides["getBlock"] = lambda p: {**double.block(p[0]), "blockTime": None}
    double.overrides["getBlockTime"] = lambda p: None
    with pytest.raises(ChainDataError, match="block time"):
        await read(make(url))


# -- lies -------------------------------------------------------------------------------------------


async def test_decimals_mismatch_is_data_error(node: tuple[SolanaDouble, str]) -> None:
    double, url = node
    double.decimals = 9
    with pytest.raises(ChainDataError, match="decimals are 9 on chain, configured 8; not rescaling"):
        await read(make(url))


async def test_wrong_cluster_is_data_error(node: tuple[SolanaDouble, str]) -> None:
    double, url = node
    double.genesis = DEVNET_GENESIS
    with pytest.raises(ChainDataError, match="solana:EtWTRABZ.*configured for solana:5eykt"):
        await read(make(url))
    assert double.calls == ["getGenesisHash"]


async def test_cluster_switch_during_the_read_is_data_error(node: tuple[SolanaDouble, str]) -> None:
    double, url = node
    answers = iter([MAINNET_GENESIS, DEVNET_GENESIS])
    double.overrides["getGenesisHash"] = lambda p: next(answers)
    with pytest.raises(ChainDataError, match="cluster"):
        await read(make(url))


async def test_skipped_slot_reports_newest_block_below(node: tuple[SolanaDouble, str]) -> None:
    double, url = node
    top = double.finalized_slot
    double.skipped = {top, top - 1, top - 2}
    reading = await read(make(url))
    assert reading.block.height == top - 3 and reading.block.hash == decode32(blockhash(top - 3)).hex()
    assert reading.total_supply == double.supply
    assert double.calls == ["getGenesisHash", "getTokenSupply", "getBlock", "getBlocks", "getBlock", "getGenesisHash"]


async def test_long_skip_run_is_data_error(node: tuple[SolanaDouble, str]) -> None:
    double, url = node
    top = double.finalized_slot
    double.skipped = set(range(top - SKIP_WINDOW, top + 1))
    with pytest.raises(ChainDataError, match="skipped"):
        await read(make(url))


@pytest.mark.parametrize("answer", [[1], [300_000_001], ["299999999"], {"slots": []}, None])
async def test_get_blocks_garbage_is_data_error(node: tuple[SolanaDouble, str], answer: Any) -> None:
    double, url = node
    double.skipped = {double.finalized_slot}
    double.overrides["getBlocks"] = lambda p: answer
    with pytest.raises(ChainDataError, match="getBlocks"):
        await read(make(url))


def supply_answer(amount: Any = "100", decimals: Any = 8, slot: Any = 300_000_000) -> dict[str, Any]:
    return {
        "context": {"apiVersion": "2.1.21", "slot": slot},
        "value": {"amount": amount, "decimals": decimals, "uiAmount": 1e-6, "uiAmountString": "0.000001"},
    }


@pytest.mark.parametrize(
    "answer",
    [
        supply_answer(amount=100),  # a JSON number, not the documented string
        supply_answer(amount=100.0),
        supply_answer(amount="1e3"),
        supply_answer(amount="-5"),
        supply_answer(amount="+5"),
        supply_answer(amount="007"),
        supply_answer(amount="1.5"),
        supply_answer(amount=" 5"),
        supply_answer(amount=str(U64_MAX + 1)),
        supply_answer(amount="9" * 400),
        supply_answer(decimals="8"),
        supply_answer(decimals=True),
        supply_answer(slot=-1),
        supply_answer(slot=1.5),
        {"context": {"slot": 1}},
        {"value": {"amount": "1", "decimals": 8}},
        None,
        "100",
    ],
)
async def test_bad_token_supply_is_data_error(node: tuple[SolanaDouble, str], answer: Any) -> None:
    double, url = node
    double.overrides["getTokenSupply"] = lambda p: answer
    with pytest.raises(ChainDataError, match="getTokenSupply returned a malformed answer"):
        await read(make(url))


@pytest.mark.parametrize(
    ("method", "outcome", "error", "match"),
    [
        ("getGenesisHash", Raw(200, b"<html>not json</html>"), ChainDataError, "malformed JSON-RPC"),
        (
            "getGenesisHash",
            Raw(200, b'{"jsonrpc": "2.0", "id": 999, "result": "x"}'),
            ChainDataError,
            "malformed JSON-RPC",
        ),
        ("getGenesisHash", Raw(200, b'{"jsonrpc": "2.0", "id": 1}'), ChainDataError, "malformed JSON-RPC"),
        (
            "getGenesisHash",
            Raw(200, b'{"jsonrpc": "2.0", "id": 1, "result": NaN}'),
            ChainDataError,
            "malformed JSON-RPC",
        ),
        ("getGenesisHash", Raw(200, b"\xff\xfe"), ChainDataError, "malformed JSON-RPC"),
        ("getGenesisHash", Raw(200, b"[" * 100_000), ChainDataError, "malformed JSON-RPC"),
        ("getGenesisHash", Raw(200, b" " * (MAX_BODY_BYTES + 1)), ChainDataError, "larger than"),
        ("getGenesisHash", Raw(401, b"no"), ChainUnavailable, "HTTP 401"),
        ("getGenesisHash", "not base58 0OIl", ChainDataError, "getGenesisHash"),
        ("getGenesisHash", 12, ChainDataError, "getGenesisHash"),
        ("getGenesisHash", Error(-32005, "Node is unhealthy"), ChainUnavailable, "-32005: Node is unhealthy"),
        ("getTokenSupply", Error(-32602, "Invalid param: not a Token mint"), ChainDataError, "not a Token mint"),
        ("getTokenSupply", Error(-32601, "Method not found"), ChainDataError, "Method not found"),
        ("getBlock", None, ChainDataError, "malformed block"),
        ("getBlock", {"blockhash": "abc", "parentSlot": 1, "blockTime": 1}, ChainDataError, "malformed block"),
        (
            "getBlock",
            {"blockhash": blockhash(1), "parentSlot": 300_000_000, "blockTime": 1},
            ChainDataError,
            "parent slot",
        ),
        ("getBlock", {"blockhash": blockhash(1), "parentSlot": 1, "blockTime": 1.5}, ChainDataError, "malformed block"),
        (
            "getBlock",
            {"blockhash": blockhash(1), "parentSlot": 1, "blockTime": 10**13},
            ChainDataError,
            "malformed block",
        ),
        ("getBlock", Error(-32602, "Invalid params"), ChainDataError, "getBlock"),
    ],
)
async def test_bad_answers_raise(
    node: tuple[SolanaDouble, str], method: str, outcome: Any, error: type, match: str
) -> None:
    double, url = node
    double.overrides[method] = lambda p: outcome
    with pytest.raises(error, match=match) as info:
        await read(make(url))
    assert_no_secret(info.value)


# -- transport --------------------------------------------------------------------------------------


async def test_429_is_retried_then_succeeds(node: tuple[SolanaDouble, str]) -> None:
    double, url = node
    answers = iter([Raw(429), Raw(503), MAINNET_GENESIS])
    double.overrides["getGenesisHash"] = lambda p: next(answers, MAINNET_GENESIS)
    reading = await read(make(url, retries=2))
    assert reading.total_supply == double.supply
    assert double.calls[:3] == ["getGenesisHash"] * 3


async def test_persistent_429_is_unavailable(node: tuple[SolanaDouble, str]) -> None:
    double, url = node
    double.overrides["getGenesisHash"] = lambda p: Raw(429)
    with pytest.raises(ChainUnavailable, match="failed after 3 attempt.*HTTP 429") as info:
        await read(make(url, retries=2))
    assert double.calls == ["getGenesisHash"] * 3
    assert_no_secret(info.value)


async def test_json_rpc_errors_are_not_retried(node: tuple[SolanaDouble, str]) -> None:
    double, url = node
    double.overrides["getGenesisHash"] = lambda p: Error(-32005, "Node is behind by 100 slots")
    with pytest.raises(ChainUnavailable):
        await read(make(url, retries=3))
    assert double.calls == ["getGenesisHash"]


async def test_timeout_is_unavailable(node: tuple[SolanaDouble, str]) -> None:
    double, url = node
    double.overrides["getTokenSupply"] = lambda p: Hang(1.0)
    started = time.monotonic()
    with pytest.raises(ChainUnavailable, match="getTokenSupply failed after 2 attempt.*timed out") as info:
        await read(make(url, timeout_seconds=0.2, retries=1))
    assert time.monotonic() - started < 1.0
    assert_no_secret(info.value)


async def test_connection_refused_is_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}/{SECRET}"
    with pytest.raises(ChainUnavailable, match="after 1 attempt") as info:
        await read(make(url, retries=0))
    assert_no_secret(info.value)


# -- configuration ------------------------------------------------------------------------------------


def test_repr_hides_the_api_key(node: tuple[SolanaDouble, str]) -> None:
    _, url = node
    adapter = make(url)
    assert SECRET not in repr(adapter) and SECRET not in repr(adapter.config) and SECRET not in repr(adapter._rpc)


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("chain_id", "eip155:1", "chain_id: not a CAIP-2 Solana"),
        ("chain_id", "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvd0", "chain_id"),
        ("rpc_url", "ftp://x", "rpc_url: not an http"),
        ("mint", "So1111111111111111111111111111111111111111O", "mint: not a base58 32-byte"),
        ("mint", "1" * 20, "mint: not a base58 32-byte"),
        ("mint", 5, "mint: must be a non-empty string"),
        ("expected_decimals", 37, "expected_decimals: must be between 0 and 36"),
        ("expected_decimals", True, "expected_decimals: must be an integer"),
        ("commitment", "confirmed", "commitment: must be 'finalized'"),
        ("timeout_seconds", 0, "timeout_seconds"),
        ("retries", 11, "retries"),
        ("max_age_seconds", 0, "max_age_seconds"),
        ("kind", "evm-erc20", "kind: must be 'solana-spl'"),
        ("colour", "blue", "colour: unknown key"),
        (
            "exclusions",
            [{"address": SolanaDouble.mint, "category": "treasury", "reason": "x"}],
            "exclusions: not supported for solana-spl: token account balances cannot be read at the supply's slot",
        ),
        ("exclusions", [], "exclusions: not supported for solana-spl"),
        ("held", [], "held: unknown key"),
    ],
)
def test_config_errors_name_the_key(key: str, value: Any, match: str) -> None:
    with pytest.raises(ChainConfigError, match=rf"deployments\.sol\.{match}") as info:
        parse_config("sol", config(f"https://rpc.example/{SECRET}", **{key: value}))
    assert SECRET not in info.value.detail


@pytest.mark.parametrize("key", ["chain_id", "rpc_url", "mint", "expected_decimals"])
def test_missing_keys_are_named(key: str) -> None:
    values = config("https://rpc.example/")
    del values[key]
    with pytest.raises(ChainConfigError, match=rf"deployments\.sol\.{key}: missing"):
        parse_config("sol", values)


def test_held_stays_empty_whichever_path_fills_it() -> None:
    # A settings layer adding holders with dataclasses.replace must meet the same refusal.
    parsed = parse_config("sol", config("https://rpc.example/"))
    with pytest.raises(ChainConfigError, match=r"deployments\.sol\.held: not supported for solana-spl"):
        dataclasses.replace(parsed, held=(HeldAddress(SolanaDouble.mint, "treasury", "issuer"),))


def test_bad_url_is_not_echoed() -> None:
    with pytest.raises(ChainConfigError) as info:
        parse_config("sol", config(f"https://rpc.example/{SECRET} x"))
    assert SECRET not in info.value.detail


# -- parsers (property tests) -------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(amount=st.integers(0, U64_MAX), decimals=st.integers(0, 255), slot=st.integers(0, 2**63 - 1))
def test_token_supply_parser_is_exact(amount: int, decimals: int, slot: int) -> None:
    parsed = parse_token_supply(supply_answer(str(amount), decimals, slot))
    assert parsed is not None and (parsed.amount, parsed.decimals, parsed.slot) == (amount, decimals, slot)


@settings(max_examples=300, deadline=None)
@given(amount=json_values | st.text(alphabet="0123456789-+.e ", max_size=25))
def test_token_supply_parser_refuses_non_canonical_amounts(amount: Any) -> None:
    parsed = parse_token_supply(supply_answer(amount=amount))
    if parsed is not None:  # only a canonical u64 decimal string gets through, unchanged
        assert isinstance(amount, str) and str(parsed.amount) == amount and parsed.amount <= U64_MAX


@settings(max_examples=300, deadline=None)
@given(raw=json_values)
def test_parsers_never_raise_on_arbitrary_json(raw: Any) -> None:
    for parser in (parse_token_supply, parse_block):
        parser(raw)
        parser({"context": raw, "value": raw, "blockhash": raw, "parentSlot": raw, "blockTime": raw})


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_response_parser_never_raises(body: bytes) -> None:
    answer = parse_response(body, 1)
    assert answer is None or answer["id"] == 1


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(min_size=32, max_size=32))
def test_base58_round_trip(raw: bytes) -> None:
    assert decode32(b58encode(raw)) == raw


def test_errors_are_chain_errors() -> None:
    assert issubclass(ChainDataError, ChainError) and issubclass(ChainUnavailable, ChainError)
