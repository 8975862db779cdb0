"""The Esplora reserve adapter against the devnet over real HTTP: confirmations, gap limit, dedupe, network."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from chains.bitcoin.esplora.adapter import chain_id
from chains.errors import ChainDataError
from tests.bitcoin.conftest import Devnet

BTC = 10**8


async def read(devnet: Devnet, **overrides):
    adapter = devnet.adapter(**overrides)
    try:
        return await adapter.read_reserves()
    finally:
        await adapter.aclose()


async def test_deposit_counts_only_from_six_confirmations(devnet: Devnet) -> None:
    chain, wallets = devnet.chain, devnet.chain.wallets
    chain.send(wallets.reserve_address("tr", 0), 2 * BTC, from_wallet=wallets.funding)
    reading = await read(devnet)
    assert reading.total_sat == 0 and [u.confirmations for u in reading.uncounted] == [0]  # mempool
    chain.mine(5)
    reading = await read(devnet)
    assert reading.total_sat == 0
    assert [(u.value_sat, u.confirmations) for u in reading.uncounted] == [(2 * BTC, 5)]
    chain.mine(1)
    reading = await read(devnet)
    assert reading.total_sat == 2 * BTC and reading.uncounted == ()
    (utxo,) = reading.utxos
    assert utxo.confirmations == 6 and utxo.address == wallets.reserve_address("tr", 0)
    assert utxo.height == chain.tip_height - 5


async def test_reading_is_anchored_at_the_tip_with_its_block(devnet: Devnet) -> None:
    (old,) = devnet.chain.mine(1, time=2_000_000_000)
    reading = await read(devnet)
    assert reading.block.chain_id == chain_id("regtest") == "bip122:0f9188f13cb7b2c71f2a335e3a4fc328"
    assert (reading.block.height, reading.block.hash) == (devnet.chain.tip_height, old)
    assert reading.block.time == datetime.fromtimestamp(2_000_000_000, tz=timezone.utc)
    assert reading.source == "devnet" and reading.min_confirmations == 6


async def test_all_three_descriptor_kinds_and_releases(devnet: Devnet) -> None:
    chain, wallets = devnet.chain, devnet.chain.wallets
    for kind, amount in (("wpkh", 5 * BTC), ("tr", 3 * BTC), ("wsh_sortedmulti", 2 * BTC)):
        chain.send(wallets.reserve_address(kind, 2), amount, from_wallet=wallets.funding)
    chain.mine(6)
    assert (await read(devnet)).total_sat == 10 * BTC
    chain.send(wallets.funding.address(7), 1 * BTC, from_wallet=wallets.reserve_wpkh)  # release
    chain.mine(6)
    reading = await read(devnet)
    # change returns to wpkh child 0, so reserves drop by the release plus its fee
    fee = 5 * BTC - 1 * BTC - sum(u.value_sat for u in reading.utxos if u.address == wallets.reserve_address("wpkh", 0))
    assert 0 < fee < 10_000
    assert reading.total_sat == 9 * BTC - fee


async def test_gap_limit(devnet: Devnet) -> None:
    """Children 2, 6 and 12 are funded: 5 unused children (7..11) sit between the last two."""
    chain, wallets = devnet.chain, devnet.chain.wallets
    for index, amount in ((2, 1 * BTC), (6, 2 * BTC), (12, 4 * BTC)):
        chain.send(wallets.reserve_address("wpkh", index), amount, from_wallet=wallets.funding)
    chain.mine(6)
    wpkh = [wallets.reserve_descriptors["wpkh"]]
    assert (await read(devnet, descriptors=wpkh, gap_limit=2)).total_sat == 0  # 0 and 1 unused: stop
    reading = await read(devnet, descriptors=wpkh, gap_limit=4)
    assert reading.total_sat == 3 * BTC and reading.addresses_scanned == 11  # children 0..10
    assert (await read(devnet, descriptors=wpkh, gap_limit=5)).total_sat == 3 * BTC  # 12 is beyond the gap
    reading = await read(devnet, descriptors=wpkh, gap_limit=6)
    assert reading.total_sat == 7 * BTC and reading.addresses_scanned == 19  # children 0..18


async def test_address_declared_twice_is_counted_once(devnet: Devnet) -> None:
    chain, wallets = devnet.chain, devnet.chain.wallets
    address = wallets.reserve_address("wsh_sortedmulti", 0)
    chain.send(address, 3 * BTC, from_wallet=wallets.funding)
    chain.mine(6)
    reading = await read(devnet, addresses=[address, address.upper()])
    assert reading.total_sat == 3 * BTC and len(reading.utxos) == 1


async def test_plain_addresses_without_descriptors(devnet: Devnet) -> None:
    chain, wallets = devnet.chain, devnet.chain.wallets
    address = wallets.funding.address(20)
    chain.send(address, 1 * BTC, from_wallet=wallets.funding)
    chain.send(address, 1 * BTC, from_wallet=wallets.funding)
    chain.mine(6)
    reading = await read(devnet, addresses=[address], descriptors=[], min_confirmations=1)
    assert reading.total_sat == 2 * BTC and reading.addresses_scanned == 1
    assert len({(u.txid, u.vout) for u in reading.utxos}) == 2


async def test_wrong_network_is_detected_from_the_genesis_block(devnet: Devnet) -> None:
    # A testnet declaration pointed at the regtest server: block 0 gives it away.
    with pytest.raises(ChainDataError, match="genesis"):
        await read(devnet, network="test", descriptors=[], addresses=["tb1qngw83fg8dz0k749cg7k3emc7v98wy0c7ltysd7"])


def test_devnet_esplora_endpoints(devnet: Devnet) -> None:
    chain, wallets = devnet.chain, devnet.chain.wallets
    txid = chain.send(wallets.reserve_address("tr", 0), 1 * BTC, from_wallet=wallets.funding)
    with httpx.Client(base_url=devnet.url) as http:
        assert http.get("/blocks/tip/height").text == "101"
        assert http.get(f"/tx/{txid}/status").json() == {"confirmed": False}
        (block_hash,) = chain.mine(1)
        header = bytes.fromhex(http.get(f"/block/{block_hash}/header").text)
        assert header == chain.block(block_hash).header.serialize()
        assert http.get(f"/block/{block_hash}/txids").json()[1] == txid
        assert http.get(f"/tx/{txid}/hex").text == chain.tx(txid).raw.hex()
        assert http.get(f"/tx/{txid}").json()["status"]["block_hash"] == block_hash
        assert http.get(f"/tx/{txid}/outspend/0").json() == {"spent": False}
        assert (http.get("/block/" + "ab" * 32).status_code, http.get("/block/" + "ab" * 32).text) == (
            404,
            "Block not found",
        )
        assert http.get("/tx/" + "ab" * 32).text == "Transaction not found"
        assert (http.get("/address/nope").status_code, http.get("/address/nope").text) == (
            400,
            "Invalid Bitcoin address",
        )
        assert http.get("/block-height/999").status_code == 404
        tx = wallets.funding.build_payment(chain.spendable(wallets.funding), wallets.funding.script_pubkey(2), BTC, 2)
        posted = http.post("/tx", content=tx.serialize().hex())
        assert posted.status_code == 200 and posted.text == tx.txid().hex() in chain.mempool()
        assert http.post("/tx", content="00").status_code == 400
