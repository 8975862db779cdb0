"""The Esplora reads of reconciliation against the devnet over HTTP, and against MOCK peers that misbehave
(no real server lies on demand): a 404 is an answer, anything else wrong is an error, never a reconciliation."""

from __future__ import annotations

import hashlib
import json

import pytest

from chains.bitcoin.esplora.reconcile_reads import ReconcileEsplora
from chains.devnet.http import serve_in_thread
from chains.errors import ChainDataError, ChainUnavailable
from reserves.reconcile import rules
from tests.bitcoin.conftest import mock_peer
from tests.reconcile.conftest import DEP, insert, items, run
from tests.reconcile.helpers import burn_pair, mint_pair


@pytest.fixture
def peer():
    stops = []

    def start(routes: dict[str, tuple[int, bytes]]) -> str:
        async def handler(method, path):
            return routes.get(path, (404, b"Not Found"))

        url, stop = serve_in_thread(mock_peer(handler))
        stops.append(stop)
        return url

    yield start
    for stop in stops:
        stop(wait=False)  # they wind down while the next test runs


def client(url: str, **kw) -> ReconcileEsplora:
    return ReconcileEsplora(url, retries=0, backoff_seconds=0.0, **kw)


async def test_devnet_lookups(btc):
    txid, vout = btc.pay(btc.reserve(1), 600_000)
    btc.chain.mine(2)
    c = client(btc.url)
    try:
        assert await c.tip_height() == btc.chain.tip_height
        tx = await c.find_tx(txid)
        assert tx.outputs[vout].value_sat == 600_000 and tx.status.confirmed
        assert await c.find_tx(hashlib.sha256(b"x").hexdigest()) is None
        addresses = await c.spent_addresses(tx.inputs)
        funding = {btc.chain.wallets.funding.address(i) for i in range(64)}
        assert addresses and set(addresses) <= funding
        payments = await c.payments_to(btc.reserve(1))
        assert [(p.txid, p.vout, p.value_sat) for p in payments] == [(txid, vout, 600_000)]
        with pytest.raises(ChainDataError):
            await c.payments_to(btc.chain.wallets.funding.address(0), max_txs=2)  # coinbases: a long history
    finally:
        await c.aclose()


async def test_misbehaving_peers(peer):
    txid = "ab" * 32
    url = peer({"/blocks/tip/height": (200, b"12x"), f"/tx/{txid}": (500, b"oops")})
    c = client(url)
    try:
        with pytest.raises(ChainDataError):
            await c.tip_height()
        with pytest.raises(ChainUnavailable):
            await c.find_tx(txid)
    finally:
        await c.aclose()
    other = {
        "txid": "cd" * 32,
        "vin": [{"is_coinbase": True}],
        "vout": [{"value": 1, "scriptpubkey": "51"}],
        "status": {"confirmed": False},
    }
    url = peer({f"/tx/{txid}": (200, json.dumps(other).encode()), "/blocks/tip/height": (200, b"7" * 11)})
    c = client(url)
    try:
        with pytest.raises(ChainDataError, match="answered with transaction"):
            await c.find_tx(txid)
        with pytest.raises(ChainDataError):
            await c.tip_height()
    finally:
        await c.aclose()
    url = peer({f"/tx/{txid}": (200, b"[" + b"1," * 10_000 + b"1]")})
    c = client(url, max_body_bytes=1000)
    try:
        with pytest.raises(ChainDataError, match="larger than"):
            await c.find_tx(txid)
    finally:
        await c.aclose()


async def test_a_lying_peer_never_reconciles_anything(peer, btc, db):
    """A MOCK Esplora answering every deposit with another transaction: the mint stays pending."""
    txid, vout = btc.pay(btc.reserve(2), 1_000_000)
    btc.chain.mine(6)
    forged = {
        "txid": "cd" * 32,
        "vin": [{"is_coinbase": True}],
        "vout": [{"value": 1_000_000, "scriptpubkey": "51", "scriptpubkey_address": btc.reserve(2)}],
        "status": {"confirmed": True, "block_height": 1, "block_hash": "00" * 32},
    }
    url = peer({"/blocks/tip/height": (200, b"200"), f"/tx/{txid}": (200, json.dumps(forged).encode())})
    await insert(
        db,
        mint_pair(DEP, 1, 0, 998_000, txid, vout) + burn_pair(DEP, 2, 0, 5_000, btc.chain.wallets.funding.address(3)),
    )
    await run(db, btc.setup(esplora_url=url))
    got = await items(db)
    assert (got[(DEP, 1, 0)].status, got[(DEP, 1, 0)].reason) == ("pending", rules.BITCOIN_UNAVAILABLE)
    assert (got[(DEP, 2, 0)].status, got[(DEP, 2, 0)].reason) == ("awaiting_release", rules.BITCOIN_UNAVAILABLE)
