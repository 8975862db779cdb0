"""Esplora client and adapter against MOCK misbehaving peers (no real server fails on demand): garbage, slowness,
errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from chains.bitcoin.esplora.adapter import GENESIS, BitcoinEsploraAdapter, parse_config
from chains.bitcoin.esplora.client import EsploraClient
from chains.errors import ChainDataError, ChainUnavailable
from tests.bitcoin.conftest import mock_peer

TIP = "11" * 32
ADDRESS = "bcrt1qq6hag67dl53wl99vzg42z8eyzfz2xlkvwk6f7m"  # any valid regtest address
GOOD_UTXO = {
    "txid": "22" * 32,
    "vout": 0,
    "value": 5000,
    "status": {"confirmed": True, "block_height": 95, "block_hash": "33" * 32, "block_time": 1},
}


def esplora_like(
    utxos: Any = None, block: Any = None, tx_count: Any = 1, heights: dict[int, str] | None = None
) -> Callable:
    """A MOCK Esplora with a 100-block regtest chain; pieces can be replaced by garbage (or lies)."""
    best = {0: GENESIS["regtest"], 95: GOOD_UTXO["status"]["block_hash"], 100: TIP, **(heights or {})}

    async def handler(method: str, path: str) -> tuple[int, bytes]:
        if path.startswith("/block-height/") and int(path[14:]) in best:
            return 200, best[int(path[14:])].encode()
        if path == "/blocks/tip/hash":
            return 200, TIP.encode()
        if path == f"/block/{TIP}":
            body = (
                block
                if block is not None
                else {"id": TIP, "height": 100, "timestamp": 1_700_000_000, "previousblockhash": "44" * 32}
            )
            return 200, json.dumps(body).encode()
        if path.endswith("/utxo"):
            return 200, json.dumps(utxos if utxos is not None else [GOOD_UTXO]).encode()
        if path.startswith("/tx/"):  # young outputs are checked for coinbase: a plain payment
            tx = {
                "txid": path[4:],
                "vin": [{"txid": "55" * 32, "vout": 0, "is_coinbase": False}],
                "vout": [{"value": 5000, "scriptpubkey": "00" * 22}],
                "status": {"confirmed": False},
            }
            return 200, json.dumps(tx).encode()
        if path.startswith("/address/"):
            stats = {
                "tx_count": tx_count,
                "funded_txo_count": 1,
                "funded_txo_sum": 1,
                "spent_txo_count": 0,
                "spent_txo_sum": 0,
            }
            return 200, json.dumps({"address": path[9:], "chain_stats": stats, "mempool_stats": stats}).encode()
        return 404, b"Not Found"

    return mock_peer(handler)


def adapter(url: str, **overrides: Any) -> BitcoinEsploraAdapter:
    table = {
        "esplora_url": url,
        "network": "regtest",
        "addresses": [ADDRESS],
        "min_confirmations": 6,
        "backoff_seconds": 0.0,
        "timeout_seconds": 2.0,
        "retries": 2,
    }
    table.update(overrides)
    return BitcoinEsploraAdapter(parse_config("mock", table))


async def read(url: str, **overrides: Any):
    subject = adapter(url, **overrides)
    try:
        return await subject.read_reserves()
    finally:
        await subject.aclose()


async def test_sane_mock_reads(serve) -> None:
    reading = await read(serve(esplora_like()))
    assert reading.total_sat == 5000 and reading.utxos[0].confirmations == 6


@pytest.mark.parametrize(
    "utxos",
    [
        {"not": "a list"},
        [{**GOOD_UTXO, "value": -1}],
        [{**GOOD_UTXO, "value": "5000"}],
        [{**GOOD_UTXO, "value": True}],
        [{**GOOD_UTXO, "value": 21_000_000 * 10**8 + 1}],
        [{**GOOD_UTXO, "vout": 2**32}],
        [{**GOOD_UTXO, "txid": "zz" * 32}],
        [{**GOOD_UTXO, "txid": "22" * 31}],
        [{**GOOD_UTXO, "status": {"confirmed": "yes"}}],
        [{**GOOD_UTXO, "status": {"confirmed": True, "block_height": -5, "block_hash": "33" * 32}}],
        [{**GOOD_UTXO, "status": {"confirmed": True, "block_height": 5}}],
        [None],
    ],
    ids=lambda u: json.dumps(u)[:40],
)
async def test_garbage_utxos_are_chain_data_errors(serve, utxos: Any) -> None:
    with pytest.raises(ChainDataError):
        await read(serve(esplora_like(utxos=utxos)))


@pytest.mark.parametrize(
    "block",
    [
        {"id": "55" * 32, "height": 100, "timestamp": 1},  # another block than asked
        {"id": TIP, "height": -1, "timestamp": 1},
        {"id": TIP, "height": 1.5, "timestamp": 1},
        {"id": TIP, "height": 100},
        [1, 2, 3],
    ],
)
async def test_garbage_blocks_are_chain_data_errors(serve, block: Any) -> None:
    with pytest.raises(ChainDataError):
        await read(serve(esplora_like(block=block)))


async def test_garbage_address_stats_are_chain_data_errors(serve) -> None:
    wpkh = (
        "wpkh(tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp"
        "/0/*)"
    )
    with pytest.raises(ChainDataError):
        await read(serve(esplora_like(tx_count=-1)), addresses=[], descriptors=[wpkh])


async def test_utxo_above_the_tip_is_not_counted(serve) -> None:
    above = {**GOOD_UTXO, "txid": "66" * 32, "status": {**GOOD_UTXO["status"], "block_height": 101}}
    reading = await read(serve(esplora_like(utxos=[above, GOOD_UTXO])))
    assert reading.total_sat == 5000
    assert [(u.height, u.confirmations) for u in reading.uncounted] == [(101, 0)]


async def test_lying_server_utxo_outside_its_best_chain(serve) -> None:
    # The MOCK's UTXO index says block 33.. at height 95; its best chain says 77..: one of them lies.
    with pytest.raises(ChainDataError, match="reorg or inconsistent server"):
        await read(serve(esplora_like(heights={95: "77" * 32})))


async def test_duplicate_outpoints_from_the_server_are_counted_once(serve) -> None:
    reading = await read(serve(esplora_like(utxos=[GOOD_UTXO, GOOD_UTXO])))
    assert reading.total_sat == 5000


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b"{" * 10, b"[" * 300_000 + b"]" * 300_000])
async def test_non_json_bodies(serve, body: bytes) -> None:
    async def handler(method: str, path: str) -> tuple[int, bytes]:
        return 200, body

    client = EsploraClient(serve(mock_peer(handler)), retries=0)
    try:
        with pytest.raises(ChainDataError):
            await client.address_utxos(ADDRESS)
        with pytest.raises(ChainDataError):
            await client.tip_hash()
    finally:
        await client.aclose()


async def test_huge_bodies_are_refused(serve) -> None:
    async def handler(method: str, path: str) -> tuple[int, bytes]:
        return 200, b"[" + b"1," * 600_000 + b"1]"

    client = EsploraClient(serve(mock_peer(handler)), retries=0, max_body_bytes=1_000_000)
    try:
        with pytest.raises(ChainDataError, match="larger"):
            await client.address_utxos(ADDRESS)
    finally:
        await client.aclose()


def counting(statuses: list[int], final: tuple[int, bytes] = (200, TIP.encode()), delay: float = 0.0):
    """A MOCK peer answering `statuses` in turn, then `final`; `calls` counts requests."""
    calls: list[str] = []

    async def handler(method: str, path: str) -> tuple[int, bytes]:
        calls.append(path)
        if delay:
            await asyncio.sleep(delay)
        if len(calls) <= len(statuses):
            return statuses[len(calls) - 1], b"busy"
        return final

    return mock_peer(handler), calls


async def test_5xx_and_429_are_retried_then_succeed(serve) -> None:
    app, calls = counting([503, 429, 500])
    client = EsploraClient(serve(app), retries=3, backoff_seconds=0.01)
    try:
        assert await client.tip_hash() == TIP and len(calls) == 4
    finally:
        await client.aclose()


async def test_5xx_forever_is_unavailable_after_retries(serve) -> None:
    app, calls = counting([502] * 10)
    client = EsploraClient(serve(app), retries=2, backoff_seconds=0.01)
    try:
        with pytest.raises(ChainUnavailable, match="3 attempts"):
            await client.tip_hash()
        assert len(calls) == 3
    finally:
        await client.aclose()


@pytest.mark.parametrize(("status", "error"), [(400, ChainDataError), (404, ChainDataError), (403, ChainUnavailable)])
async def test_4xx_is_not_retried(serve, status: int, error: type) -> None:
    app, calls = counting([status] * 5)
    client = EsploraClient(serve(app), retries=3, backoff_seconds=0.01)
    try:
        with pytest.raises(error):
            await client.tip_hash()
        assert len(calls) == 1
    finally:
        await client.aclose()


async def test_slow_server_times_out_after_retries(serve) -> None:
    app, calls = counting([], delay=3.0)
    client = EsploraClient(serve(app), timeout=0.2, retries=2, backoff_seconds=0.01)
    try:
        with pytest.raises(ChainUnavailable, match="timed out") as info:
            await client.tip_hash()
        assert len(calls) == 3
        assert info.value.__cause__ is not None  # raised from the httpx timeout
    finally:
        await client.aclose()


async def test_refused_connection_is_unavailable_and_hides_credentials(serve) -> None:
    url = serve(esplora_like())
    port = int(url.rsplit(":", 1)[1])
    subject = adapter(
        f"http://user:s3cret@127.0.0.1:{port + 1 if port < 65535 else port - 1}/api?key=s3cret", retries=1
    )
    try:
        with pytest.raises(ChainUnavailable) as info:
            await subject.read_reserves()
    finally:
        await subject.aclose()
    assert "s3cret" not in str(info.value) and "127.0.0.1" not in info.value.detail


# --- transaction-side methods (history, evidence) against MOCK garbage -------------------------------

TXID = "22" * 32
GOOD_TX = {
    "txid": TXID,
    "version": 2,
    "locktime": 0,
    "vin": [{"txid": "44" * 32, "vout": 1, "is_coinbase": False, "sequence": 0}],
    "vout": [{"scriptpubkey": "0014" + "55" * 20, "scriptpubkey_address": ADDRESS, "value": 5000}],
    "status": {"confirmed": True, "block_height": 95, "block_hash": "33" * 32, "block_time": 1},
}


def answering(routes: dict[str, Any]) -> Callable:
    """A MOCK peer answering exact paths with JSON (or raw bytes), 404 otherwise."""

    async def handler(method: str, path: str) -> tuple[int, bytes]:
        if path not in routes:
            return 404, b"Not Found"
        body = routes[path]
        return 200, body if isinstance(body, bytes) else json.dumps(body).encode()

    return mock_peer(handler)


async def call(url: str, method: str, *args: Any) -> Any:
    client = EsploraClient(url, retries=0)
    try:
        return await getattr(client, method)(*args)
    finally:
        await client.aclose()


def tx_with(**changes: Any) -> dict:
    return {**GOOD_TX, **changes}


@pytest.mark.parametrize(
    "body",
    [
        tx_with(txid="23" * 32),  # another transaction than asked
        tx_with(vin=[]),
        tx_with(vout=[]),
        tx_with(vin="x"),
        tx_with(vin=[{**GOOD_TX["vin"][0], "is_coinbase": "no"}]),
        tx_with(vin=[{"is_coinbase": True}, {"is_coinbase": True}]),
        tx_with(vin=[{**GOOD_TX["vin"][0], "vout": -1}]),
        tx_with(vout=[{**GOOD_TX["vout"][0], "value": -5}]),
        tx_with(vout=[{**GOOD_TX["vout"][0], "value": 2.5}]),
        tx_with(vout=[{**GOOD_TX["vout"][0], "scriptpubkey": "0014ZZ"}]),
        tx_with(vout=[{**GOOD_TX["vout"][0], "scriptpubkey": "001"}]),
        tx_with(vout=[{**GOOD_TX["vout"][0], "scriptpubkey_address": 7}]),
        tx_with(status={"confirmed": True, "block_height": 95}),
        tx_with(status={"confirmed": True, "block_height": 2**31, "block_hash": "33" * 32}),
        tx_with(status={"confirmed": 1}),
        tx_with(status=None),
        [GOOD_TX],
    ],
    ids=lambda b: json.dumps(b)[:60],
)
async def test_garbage_transactions(serve, body: Any) -> None:
    url = serve(answering({f"/tx/{TXID}": body}))
    with pytest.raises(ChainDataError):
        await call(url, "transaction", TXID)


async def test_good_transaction_and_argument_checks(serve) -> None:
    url = serve(answering({f"/tx/{TXID}": GOOD_TX}))
    tx = await call(url, "transaction", TXID)
    assert tx.inputs == (("44" * 32, 1),) and tx.outputs[0].value_sat == 5000 and tx.status.height == 95
    for bad in ("../blocks/tip/hash", "AB" * 32, TXID[:-1]):
        with pytest.raises(ChainDataError, match="64 lowercase"):
            await call(url, "transaction", bad)


@pytest.mark.parametrize(
    "body",
    [
        {"spent": "yes"},
        {"spent": True},  # no spender
        {"spent": True, "txid": TXID, "vin": 0},  # no status
        {"spent": True, "txid": TXID, "vin": -1, "status": {"confirmed": False}},
        {"spent": True, "txid": "zz", "vin": 0, "status": {"confirmed": False}},
        "spent",
    ],
)
async def test_garbage_outspends(serve, body: Any) -> None:
    url = serve(answering({f"/tx/{TXID}/outspend/0": body, f"/tx/{TXID}/outspends": [body]}))
    with pytest.raises(ChainDataError):
        await call(url, "outspend", TXID, 0)
    with pytest.raises(ChainDataError):
        await call(url, "outspends", TXID)


async def test_outspends_count_must_match_the_outputs(serve) -> None:
    url = serve(answering({f"/tx/{TXID}/outspends": [{"spent": False}] * 3}))
    assert len(await call(url, "outspends", TXID)) == 3
    with pytest.raises(ChainDataError, match="3 entries"):
        await call(url, "outspends", TXID, 2)


@pytest.mark.parametrize(
    "body",
    [
        {"block_height": 5, "merkle": ["ab" * 32], "pos": -1},
        {"block_height": -5, "merkle": [], "pos": 0},
        {"block_height": 5, "merkle": ["AB" * 32], "pos": 0},
        {"block_height": 5, "merkle": ["ab" * 31], "pos": 0},
        {"block_height": 5, "merkle": ["ab" * 32] * 33, "pos": 0},
        {"block_height": 5, "merkle": "ab", "pos": 0},
        {"block_height": 5, "pos": 0},
        [],
    ],
)
async def test_garbage_merkle_proofs(serve, body: Any) -> None:
    url = serve(answering({f"/tx/{TXID}/merkle-proof": body}))
    with pytest.raises(ChainDataError):
        await call(url, "merkle_proof", TXID)


@pytest.mark.parametrize(
    "body", [b"zz", b"00" * 79, b"00" * 81, b"00" * 80]
)  # the last: does not hash to the hash asked
async def test_garbage_headers(serve, body: bytes) -> None:
    url = serve(answering({f"/block/{TIP}/header": body}))
    with pytest.raises(ChainDataError):
        await call(url, "block_header", TIP)


@pytest.mark.parametrize("body", [b"zz", b"0", b"00" * 10, b"", b"ab" * 100])
async def test_garbage_tx_hex(serve, body: bytes) -> None:
    url = serve(answering({f"/tx/{TXID}/hex": body}))
    with pytest.raises(ChainDataError):
        await call(url, "tx_hex", TXID)


async def test_tx_hex_of_another_transaction_is_refused(devnet, serve) -> None:
    other = devnet.chain.block_at(1).txids[0]
    raw = devnet.chain.tx(other).raw.hex().encode()
    url = serve(answering({f"/tx/{TXID}/hex": raw}))
    with pytest.raises(ChainDataError, match="not the transaction asked for"):
        await call(url, "tx_hex", TXID)


async def test_block_median_time_is_optional_but_checked(serve) -> None:
    base = {"id": TIP, "height": 100, "timestamp": 1, "previousblockhash": "44" * 32}
    assert (await call(serve(answering({f"/block/{TIP}": base})), "block", TIP)).median_time is None
    assert (await call(serve(answering({f"/block/{TIP}": {**base, "mediantime": 7}})), "block", TIP)).median_time == 7
    for bad in (-1, "7", 2**32):
        with pytest.raises(ChainDataError, match="mediantime"):
            await call(serve(answering({f"/block/{TIP}": {**base, "mediantime": bad}})), "block", TIP)


def history_tx(n: int, height: int, confirmed: bool = True) -> dict:
    status = {"confirmed": True, "block_height": height, "block_hash": "33" * 32} if confirmed else {"confirmed": False}
    return tx_with(txid=f"{n:064x}", status=status)


async def test_address_history_pages_until_a_short_page(serve) -> None:
    first = [history_tx(999, 0, confirmed=False)] + [history_tx(i, 1000 - i) for i in range(25)]
    second = [history_tx(i, 1000 - i) for i in range(25, 50)]
    third = [history_tx(i, 1000 - i) for i in range(50, 53)]
    url = serve(
        answering(
            {
                f"/address/{ADDRESS}/txs": first,
                f"/address/{ADDRESS}/txs/chain/{24:064x}": second,
                f"/address/{ADDRESS}/txs/chain/{49:064x}": third,
            }
        )
    )
    txs = await call(url, "address_txs", ADDRESS)
    assert len(txs) == 54 and not txs[0].status.confirmed and txs[-1].status.height == 948


@pytest.mark.parametrize(
    "second",
    [
        [history_tx(i, 1000 - i) for i in range(25)],  # the same page again: a loop
        [history_tx(i, 2000 + i) for i in range(25, 30)],  # heights rising: not newest first
        [history_tx(30, 0, confirmed=False)],  # unconfirmed in confirmed history
        {"not": "a list"},
        [history_tx(i, 900) for i in range(100, 200)],  # more than a page can hold
    ],
    ids=["loop", "order", "unconfirmed", "garbage", "oversized"],
)
async def test_address_history_lies(serve, second: Any) -> None:
    url = serve(
        answering(
            {
                f"/address/{ADDRESS}/txs": [history_tx(i, 1000 - i) for i in range(25)],
                f"/address/{ADDRESS}/txs/chain/{24:064x}": second,
            }
        )
    )
    with pytest.raises(ChainDataError):
        await call(url, "address_txs", ADDRESS)


async def test_endless_history_stops_at_the_cap(serve) -> None:
    async def handler(method: str, path: str) -> tuple[int, bytes]:
        # Every page is full and new: the client must stop at its cap, not page for ever.
        start = 0 if path.endswith("/txs") else int(path.rsplit("/", 1)[1], 16) + 1
        return 200, json.dumps([history_tx(start + i, 10**6 - start - i) for i in range(25)]).encode()

    client = EsploraClient(serve(mock_peer(handler)), retries=0)
    try:
        with pytest.raises(ChainDataError, match="more than 100"):
            await client.address_txs(ADDRESS, max_txs=100)
    finally:
        await client.aclose()


async def test_mempool_after_confirmed_is_refused(serve) -> None:
    url = serve(answering({f"/address/{ADDRESS}/txs": [history_tx(1, 5), history_tx(2, 0, confirmed=False)]}))
    with pytest.raises(ChainDataError, match="mempool"):
        await call(url, "address_txs", ADDRESS)


@pytest.mark.parametrize(
    "method,args",
    [("merkle_proof", (TXID,)), ("outspends", (TXID,)), ("address_txs", (ADDRESS,)), ("block_header", (TIP,))],
)
async def test_new_methods_time_out_as_unavailable(serve, method: str, args: tuple) -> None:
    app, calls = counting([], delay=3.0)
    client = EsploraClient(serve(app), timeout=0.2, retries=1, backoff_seconds=0.01)
    try:
        with pytest.raises(ChainUnavailable, match="timed out"):
            await getattr(client, method)(*args)
        assert len(calls) == 2
    finally:
        await client.aclose()


async def test_huge_transaction_body_is_refused(serve) -> None:
    async def handler(method: str, path: str) -> tuple[int, bytes]:
        return 200, b"ab" * 600_000

    client = EsploraClient(serve(mock_peer(handler)), retries=0, max_body_bytes=1_000_000)
    try:
        with pytest.raises(ChainDataError, match="larger"):
            await client.tx_hex(TXID)
    finally:
        await client.aclose()
