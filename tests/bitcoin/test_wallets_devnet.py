"""Wallet semantics of the Esplora adapter on the devnet over HTTP: duplicates, coinbase maturity, time locks."""

from __future__ import annotations

from typing import Any

from chains.base import COINBASE_MATURITY, DuplicateOutpoint, TimeLock
from chains.bitcoin.esplora.adapter import BitcoinEsploraAdapter, parse_config
from chains.devnet.btc_wallet import VAULT_OLDER_BLOCKS
from tests.bitcoin.conftest import Devnet

BTC = 10**8
TIME_FLAG = 1 << 22


async def read(devnet: Devnet, wallets: list[dict[str, Any]], **overrides: Any):
    table = {"esplora_url": devnet.url, "network": "regtest", "wallets": wallets, "backoff_seconds": 0.0, **overrides}
    adapter = BitcoinEsploraAdapter(parse_config("devnet", table))
    try:
        return await adapter.read_reserves()
    finally:
        await adapter.aclose()


async def test_an_outpoint_two_wallets_cover_counts_once_under_the_first(devnet: Devnet) -> None:
    chain, wallets = devnet.chain, devnet.chain.wallets
    address = wallets.reserve_address("wpkh", 3)
    txid = chain.send(address, 2 * BTC, from_wallet=wallets.funding)
    chain.mine(6)
    declared = [
        {"name": "hot", "descriptor": wallets.reserve_descriptors["wpkh"]},
        {"name": "list", "addresses": [address]},
    ]
    reading = await read(devnet, declared)
    (utxo,) = reading.utxos
    assert reading.total_sat == 2 * BTC and utxo.wallet == "hot" and utxo.txid == txid
    assert reading.duplicates == (DuplicateOutpoint(txid, utxo.vout, ("hot", "list")),)
    reading = await read(devnet, declared[::-1])
    assert reading.utxos[0].wallet == "list" and reading.duplicates[0].wallets == ("list", "hot")


async def test_coinbase_counts_only_once_mature(devnet: Devnet) -> None:
    chain, wallets = devnet.chain, devnet.chain.wallets
    address = wallets.reserve_address("tr", 4)
    chain.mine(1, to_address=address)
    chain.mine(COINBASE_MATURITY - 2)
    declared = [{"name": "taproot", "descriptor": wallets.reserve_descriptors["tr"]}]
    reading = await read(devnet, declared, min_confirmations=1)
    (utxo,) = reading.uncounted
    assert reading.total_sat == 0 and utxo.coinbase and utxo.uncounted_reason(1) == "immature_coinbase"
    assert utxo.confirmations == COINBASE_MATURITY - 1
    chain.mine(1)
    reading = await read(devnet, declared, min_confirmations=1)
    assert reading.uncounted == () and reading.total_sat == utxo.value_sat


async def test_time_locked_wallets(devnet: Devnet) -> None:
    chain, wallets = devnet.chain, devnet.chain.wallets
    chain.send(wallets.reserve_address("wsh_vault", 0), 3 * BTC, from_wallet=wallets.funding)
    chain.send(wallets.reserve_address("wsh_recovery", 0), 1 * BTC, from_wallet=wallets.funding)
    chain.mine(6)
    declared = [
        {"name": "vault", "descriptor": wallets.reserve_descriptors["wsh_vault"]},
        {"name": "recovery", "descriptor": wallets.reserve_descriptors["wsh_recovery"]},
    ]
    reading = await read(devnet, declared)
    locks = {u.wallet: u.lock for u in reading.utxos}
    height = chain.tip_height - 5
    assert locks == {"vault": TimeLock("height", height + VAULT_OLDER_BLOCKS, True), "recovery": None}
    assert reading.total_sat == 4 * BTC and reading.median_time is not None


async def test_absolute_lock_opens_as_the_chain_passes_it(devnet: Devnet) -> None:
    chain, wallets = devnet.chain, devnet.chain.wallets
    key = wallets.reserve_descriptors["wsh_vault"].split("#")[0][len("wsh(and_v(v:pk(") :].split(")")[0]
    target = chain.tip_height + 8
    descriptor = f"wsh(and_v(v:pk({key}),after({target})))"
    spec = parse_config("x", {"esplora_url": devnet.url, "network": "regtest", "descriptors": [descriptor]}).wallets[0]
    chain.send(spec.address(0), 1 * BTC, from_wallet=wallets.funding)
    chain.mine(6)
    reading = await read(devnet, [{"name": "after", "descriptor": descriptor}])
    assert reading.utxos[0].lock == TimeLock("height", target + 1, False)
    chain.mine(target - chain.tip_height)
    reading = await read(devnet, [{"name": "after", "descriptor": descriptor}])
    assert reading.utxos[0].lock is None


async def test_relative_time_lock_counts_from_the_outputs_block_time(devnet: Devnet) -> None:
    chain, wallets = devnet.chain, devnet.chain.wallets
    key = wallets.reserve_descriptors["wsh_vault"].split("#")[0][len("wsh(and_v(v:pk(") :].split(")")[0]
    descriptor = f"wsh(and_v(v:pk({key}),older({TIME_FLAG | 2})))"  # 1024 s
    spec = parse_config("x", {"esplora_url": devnet.url, "network": "regtest", "descriptors": [descriptor]}).wallets[0]
    base = 1_900_000_000
    chain.mine(11, time=base)  # blocks at base .. base+10: a known median time past
    chain.send(spec.address(0), 1 * BTC, from_wallet=wallets.funding)
    chain.mine(1, time=base + 100)  # the output's block; its median time past is base+6
    chain.mine(5, time=base + 200)  # tip median time past: base+100
    reading = await read(devnet, [{"name": "t", "descriptor": descriptor}])
    (utxo,) = reading.utxos
    # BIP-68 counts from the block before (median base+5): the adapter uses the output block's own
    # median time, one second later here: conservative.
    assert utxo.lock == TimeLock("time", base + 6 + 1024, True)
    chain.mine(11, time=base + 2000)
    reading = await read(devnet, [{"name": "t", "descriptor": descriptor}])
    assert reading.utxos[0].lock is None
