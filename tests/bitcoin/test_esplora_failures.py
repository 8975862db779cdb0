"""Esplora client and adapter against MOCK misbehaving peers (no real server fails on demand): garbage, slowness, errors."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

import pytest

from chains.bitcoin.adapter import GENESIS, BitcoinEsploraAdapter, parse_config
from chains.bitcoin.esplora import EsploraClient
from chains.errors import ChainDataError, ChainUnavailable
from tests.bitcoin.conftest import mock_peer

TIP = "11" * 32
ADDRESS = "bcrt1qq6hag67dl53wl99vzg42z8eyzfz2xlkvwk6f7m"  # any valid regtest address
GOOD_UTXO = {"txid": "22" * 32, "vout": 0, "value": 5000, "status": {"confirmed": True, "block_height": 95, "block_hash": "33" * 32, "block_time": 1}}


def esplora_like(utxos: Any = None, block: Any = None, tx_count: Any = 1, heights: dict[int, str] | None = None) -> Callable:
    """A MOCK Esplora with a 100-block regtest chain; pieces can be replaced by garbage (or lies)."""
    best = {0: GENESIS["regtest"], 95: GOOD_UTXO["status"]["block_hash"], 100: TIP, **(heights or {})}

    async def handler(method: str, path: str) -> tuple[int, bytes]:
        if path.startswith("/block-height/") and int(path[14:]) in best:
            return 200, best[int(path[14:])].encode()
        if path == "/blocks/tip/hash":
            return 200, TIP.encode()
        if path == f"/block/{TIP}":
            body = block if block is not None else {"id": TIP, "height": 100, "timestamp": 1_700_000_000, "previousblockhash": "44" * 32}
            return 200, json.dumps(body).encode()
        if path.endswith("/utxo"):
            return 200, json.dumps(utxos if utxos is not None else [GOOD_UTXO]).encode()
        if path.startswith("/tx/"):  # young outputs are checked for coinbase: a plain payment
            tx = {"txid": path[4:], "vin": [{"txid": "55" * 32, "vout": 0, "is_coinbase": False}],
                  "vout": [{"value": 5000, "scriptpubkey": "00" * 22}], "status": {"confirmed": False}}
            return 200, json.dumps(tx).encode()
        if path.startswith("/address/"):
            stats = {"tx_count": tx_count, "funded_txo_count": 1, "funded_txo_sum": 1, "spent_txo_count": 0, "spent_txo_sum": 0}
            return 200, json.dumps({"address": path[9:], "chain_stats": stats, "mempool_stats": stats}).encode()
        return 404, b"Not Found"

    return mock_peer(handler)


def adapter(url: str, **overrides: Any) -> BitcoinEsploraAdapter:
    table = {"esplora_url": url, "network": "regtest", "addresses": [ADDRESS], "min_confirmations": 6,
             "backoff_seconds": 0.0, "timeout_seconds": 2.0, "retries": 2}
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
    wpkh = "wpkh(tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp/0/*)"
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
    subject = adapter(f"http://user:s3cret@127.0.0.1:{port + 1 if port < 65535 else port - 1}/api?key=s3cret", retries=1)
    try:
        with pytest.raises(ChainUnavailable) as info:
            await subject.read_reserves()
    finally:
        await subject.aclose()
    assert "s3cret" not in str(info.value) and "127.0.0.1" not in info.value.detail
