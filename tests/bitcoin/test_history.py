"""Point-in-time reserves on the devnet over HTTP: coins created and spent across heights, read back at each height."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from chains.bitcoin.esplora.client import EsploraClient
from chains.bitcoin.esplora.history import HeightOutOfRange, reserves_at
from chains.bitcoin.wallets import parse_wallets
from chains.errors import ChainDataError
from tests.bitcoin.conftest import mock_peer


def held_at(chain, wallet, height: int) -> dict[tuple[str, int], int]:
    """What the chain held for `wallet` at `height`, replayed from the blocks themselves."""
    held: dict[tuple[str, int], int] = {}
    for block in chain.blocks()[1 : height + 1]:
        for txid in block.txids:
            tx = chain.tx(txid).tx
            if txid != block.txids[0]:
                for inp in tx.vin:
                    held.pop((inp.txid.hex(), inp.vout), None)
            for vout, out in enumerate(tx.vout):
                if wallet.owns(out.script_pubkey.data):
                    held[(txid, vout)] = out.value
    return held


@pytest.fixture
def story(devnet):
    """Reserve coins created and spent across heights; returns (devnet, first height of the story)."""
    chain, w = devnet.chain, devnet.chain.wallets
    start = chain.tip_height + 1
    chain.send(w.reserve_wpkh.address(0), 100_000_000, from_wallet=w.funding)
    chain.mine(1)
    chain.send(w.reserve_wpkh.address(1), 50_000_000, from_wallet=w.funding)
    chain.send(w.reserve_wpkh.address(2), 7_000, from_wallet=w.funding)
    chain.mine(2)
    # The reserve pays out, taking the largest coin; change returns to child 0.
    chain.send(w.funding.address(5), 60_000_000, from_wallet=w.reserve_wpkh)
    chain.mine(1)
    chain.send(w.funding.address(6), 45_000_000, from_wallet=w.reserve_wpkh)
    chain.mine(3)
    return devnet, start


def read_at(devnet, height: Any, **overrides: Any):
    async def run():
        table = {"descriptors": [devnet.chain.wallets.reserve_wpkh.descriptor], "min_confirmations": 1, **overrides}
        adapter = devnet.adapter(**table)
        try:
            return await adapter.read_reserves_at(height)
        finally:
            await adapter.aclose()

    return asyncio.run(run())


def test_every_height_matches_what_the_chain_held(story) -> None:
    devnet, start = story
    chain = devnet.chain
    for height in range(start - 1, chain.tip_height + 1):
        reading = read_at(devnet, height)
        expected = held_at(chain, chain.wallets.reserve_wpkh, height)
        got = {(u.txid, u.vout): u.value_sat for u in reading.utxos}
        assert got == expected, height
        assert reading.block.height == height and reading.block.hash == chain.block_at(height).hash
        assert reading.total_sat == sum(expected.values())
        assert reading.median_time == chain.median_time_past(height)
        assert all(u.confirmations == height - u.height + 1 and u.wallet for u in reading.utxos)
    # The story really moved coins: empty before, several coins in the middle, one spent later.
    assert read_at(devnet, start - 1).total_sat == 0
    assert read_at(devnet, start + 2).total_sat == 150_007_000
    assert read_at(devnet, chain.tip_height).total_sat < 50_000_000


def test_depth_is_judged_at_the_height_asked(story) -> None:
    devnet, start = story
    reading = read_at(devnet, start + 2, min_confirmations=3)
    assert [u.value_sat for u in reading.utxos] == [100_000_000]
    assert sorted(u.uncounted_reason(3) for u in reading.uncounted) == ["shallow", "shallow"]


def test_heights_out_of_range(story) -> None:
    devnet, _ = story
    for height in (devnet.chain.tip_height + 1, -1, 2**31 + 1, True, 1.5, "7"):
        with pytest.raises(HeightOutOfRange):
            read_at(devnet, height)


def test_declared_addresses_and_duplicates(story) -> None:
    devnet, start = story
    w = devnet.chain.wallets
    wallets = [
        {"name": "list", "addresses": [w.reserve_wpkh.address(1)]},
        {"name": "desc", "descriptor": w.reserve_wpkh.descriptor},
    ]

    async def run():
        adapter = devnet.adapter(descriptors=[], wallets=wallets, min_confirmations=1)
        try:
            return await adapter.read_reserves_at(start + 2)
        finally:
            await adapter.aclose()

    reading = asyncio.run(run())
    half = [u for u in reading.utxos if u.value_sat == 50_000_000]
    assert [u.wallet for u in half] == ["list"] and reading.total_sat == 150_007_000
    assert [d.wallets for d in reading.duplicates] == [("list", "desc")]


# --- a lying server (MOCK: no real Esplora lies on demand) ------------------------------------------


def lying(devnet, edit) -> str:
    """A MOCK proxy in front of the devnet Esplora whose answers `edit(path, json)` may rewrite."""
    from chains.devnet.esplora import EsploraApp

    app = EsploraApp(devnet.chain)

    async def handler(method: str, path: str) -> tuple[int, bytes]:
        status, _, body = app.handle(method, path, None)
        if body[:1] in (b"{", b"["):
            body = json.dumps(edit(path, json.loads(body))).encode()
        return status, body

    return mock_peer(handler)


def regtest_wallets(devnet):
    return parse_wallets([{"name": "r", "descriptor": devnet.chain.wallets.reserve_wpkh.descriptor}], "regtest", "w")


def read_via(url: str, devnet, height: int):
    async def run():
        client = EsploraClient(url, retries=0)
        wallet = regtest_wallets(devnet)[0]
        try:
            addresses = [wallet.address(i) for i in range(4)]
            return await reserves_at(
                client,
                height,
                [(wallet, addresses)],
                source="s",
                chain_id="bip122:x",
                min_confirmations=1,
                addresses_scanned=4,
            )
        finally:
            await client.aclose()

    return asyncio.run(run())


def test_outspends_hiding_a_spend_is_caught(story, serve) -> None:
    devnet, _ = story

    def edit(path: str, data: Any) -> Any:
        return [{"spent": False} for _ in data] if path.endswith("/outspends") else data

    with pytest.raises(ChainDataError, match="disagree"):
        read_via(serve(lying(devnet, edit)), devnet, devnet.chain.tip_height)


def test_history_claiming_another_block_is_caught(story, serve) -> None:
    devnet, _ = story

    def edit(path: str, data: Any) -> Any:
        if "/txs" in path:
            for tx in data:
                if tx["status"].get("confirmed"):
                    tx["status"]["block_hash"] = "ab" * 32
        return data

    with pytest.raises(ChainDataError, match="inconsistent server"):
        read_via(serve(lying(devnet, edit)), devnet, devnet.chain.tip_height)


def test_spend_before_creation_is_caught(story, serve) -> None:
    devnet, start = story

    def edit(path: str, data: Any) -> Any:
        if path.endswith("/outspends"):
            for spend in data:
                if spend.get("spent"):
                    spend["status"]["block_height"] = 1
        return data

    with pytest.raises(ChainDataError):
        read_via(serve(lying(devnet, edit)), devnet, devnet.chain.tip_height)


def test_block_at_height_lying_about_its_height(story, serve) -> None:
    devnet, start = story

    def edit(path: str, data: Any) -> Any:
        if path.startswith("/block/") and path.count("/") == 2:
            data["height"] = data["height"] + 1
        return data

    with pytest.raises(ChainDataError, match="named a block"):
        read_via(serve(lying(devnet, edit)), devnet, start)
