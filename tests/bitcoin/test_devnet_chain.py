"""The regtest devnet produces byte-valid blocks and transactions: checked here from raw bytes, independently."""

from __future__ import annotations

import hashlib
from io import BytesIO

import pytest
from embit import compact, ec, hashes
from embit.script import p2pkh
from embit.transaction import Transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from chains.devnet.bitcoin import COINBASE_MATURITY, DevnetError, RegtestChain
from chains.devnet.btc_block import bip34_height_push, block_subsidy, merkle_root, script_num
from chains.devnet.btc_wallet import Coin

# Bitcoin Core's regtest genesis header (chainparams.cpp), serialized.
REGTEST_GENESIS_HEADER = (
    "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e"
    "67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000"
)
REGTEST_GENESIS_HASH = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"


def dsha(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def naive_merkle(leaves: list[bytes]) -> bytes:
    """Textbook recursion, written apart from the devnet's loop: pair up, duplicating an odd last node."""
    if len(leaves) == 1:
        return leaves[0]
    padded = leaves + [leaves[-1]] if len(leaves) % 2 else leaves
    return naive_merkle([dsha(padded[i] + padded[i + 1]) for i in range(0, len(padded), 2)])


def parse_block(raw: bytes) -> tuple[bytes, list[Transaction]]:
    stream = BytesIO(raw)
    header = stream.read(80)
    count = compact.read_from(stream)
    txs = [Transaction.read_from(stream) for _ in range(count)]
    assert stream.read() == b"", "trailing bytes after the last transaction"
    return header, txs


def coinbase_height(tx: Transaction) -> int:
    script = tx.vin[0].script_sig.data
    if 0x51 <= script[0] <= 0x60:
        return script[0] - 0x50
    return int.from_bytes(script[1 : 1 + script[0]], "little")


def verify_chain(chain: RegtestChain) -> None:
    """Replay every block from its raw bytes: PoW, linkage, merkle root, BIP-34/141, amounts, signatures."""
    outputs: dict[tuple[str, int], tuple[int, bytes]] = {}
    previous_hash, previous_time = b"\x00" * 32, 0
    for height, block in enumerate(chain.blocks()):
        header, txs = parse_block(block.raw)
        block_hash = dsha(header)
        assert block_hash[::-1].hex() == block.hash
        bits = int.from_bytes(header[72:76], "little")
        target = (bits & 0xFFFFFF) << (8 * ((bits >> 24) - 3))
        assert bits == 0x207FFFFF and int.from_bytes(block_hash, "little") <= target
        assert header[4:36] == previous_hash
        stamp = int.from_bytes(header[68:72], "little")
        assert stamp > previous_time
        assert header[36:68] == naive_merkle([tx.hash() for tx in txs])
        if height > 0:  # the genesis coinbase is unspendable, as in Bitcoin Core
            fees = check_spends(txs[1:], outputs)
            check_coinbase(txs, height, fees)
            for vout, out in enumerate(txs[0].vout):
                outputs[(txs[0].txid().hex(), vout)] = (out.value, out.script_pubkey.data)
        previous_hash, previous_time = block_hash, stamp


def check_coinbase(txs: list[Transaction], height: int, fees: int) -> None:
    coinbase = txs[0]
    assert coinbase.vin[0].txid == b"\x00" * 32 and coinbase.vin[0].vout == 0xFFFFFFFF
    assert coinbase_height(coinbase) == height
    assert sum(o.value for o in coinbase.vout) == block_subsidy(height) + fees
    commitment = [
        o.script_pubkey.data for o in coinbase.vout if o.script_pubkey.data[:6] == bytes.fromhex("6a24aa21a9ed")
    ]
    reserved = coinbase.vin[0].witness.items[0]
    wtxids = [b"\x00" * 32] + [dsha(tx.serialize()) for tx in txs[1:]]
    assert commitment[-1][6:] == dsha(naive_merkle(wtxids) + reserved)


def check_spends(txs: list[Transaction], outputs: dict) -> int:
    fees = 0
    for tx in txs:
        total_in = 0
        for i, inp in enumerate(tx.vin):
            value, script = outputs.pop((inp.txid.hex(), inp.vout))  # KeyError: unknown or double spend
            sig, pub_bytes = inp.witness.items
            assert script == b"\x00\x14" + hashes.hash160(pub_bytes)
            pub = ec.PublicKey.parse(pub_bytes)
            digest = tx.sighash_segwit(i, p2pkh(pub), value, sighash=sig[-1])
            assert pub.verify(ec.Signature.parse(sig[:-1]), digest)
            total_in += value
        fees += total_in - sum(o.value for o in tx.vout)
        # later transactions of the same block may spend these
        for vout, out in enumerate(tx.vout):
            outputs[(tx.txid().hex(), vout)] = (out.value, out.script_pubkey.data)
    return fees


def test_genesis_is_bitcoin_cores_regtest_genesis() -> None:
    chain = RegtestChain()
    genesis = chain.blocks()[0]
    assert genesis.header.serialize().hex() == REGTEST_GENESIS_HEADER
    assert dsha(bytes.fromhex(REGTEST_GENESIS_HEADER))[::-1].hex() == REGTEST_GENESIS_HASH == chain.tip_hash
    assert chain.tip_height == 0


def test_every_block_is_valid_after_a_busy_history() -> None:
    chain = RegtestChain()
    wallets = chain.wallets
    chain.mine(101)
    for kind in ("wpkh", "tr", "wsh_sortedmulti"):
        chain.send(wallets.reserve_address(kind, 1), 3 * 10**8, from_wallet=wallets.funding)
    chain.mine(1)
    for i in range(5):  # several transactions in one block: an odd count exercises duplication
        chain.send(wallets.funding.address(10 + i), 10**7, from_wallet=wallets.funding)
    chain.mine(2)
    chain.send(wallets.reserve_wpkh.address(0), 2 * 10**8, from_wallet=wallets.funding)
    chain.mine(1)
    chain.send(wallets.funding.address(5), 10**8, from_wallet=wallets.reserve_wpkh)  # a release
    chain.mine(1)
    verify_chain(chain)


def test_subsidy_halves_every_150_blocks() -> None:
    chain = RegtestChain()
    chain.mine(151)
    _, txs = parse_block(chain.blocks()[149].raw)
    assert txs[0].vout[0].value == 50 * 10**8
    _, txs = parse_block(chain.blocks()[150].raw)
    assert txs[0].vout[0].value == 25 * 10**8


def test_tampered_signature_and_amount_are_rejected() -> None:
    chain = RegtestChain()
    chain.mine(101)
    coins = chain.spendable(chain.wallets.funding)
    tx = chain.wallets.funding.build_payment(coins, chain.wallets.funding.script_pubkey(3), 10**8, 2)
    sig, pub = tx.vin[0].witness.items
    tx.vin[0].witness.items = [sig[:10] + bytes([sig[10] ^ 1]) + sig[11:], pub]
    with pytest.raises(DevnetError, match="signature"):
        chain.submit(tx)
    good = chain.wallets.funding.build_payment(coins, chain.wallets.funding.script_pubkey(3), 10**8, 2)
    good.vout[0].value += 1  # the signature commits to the outputs
    with pytest.raises(DevnetError, match="signature"):
        chain.submit(good.serialize().hex())


def test_double_spend_and_immature_coinbase_are_rejected() -> None:
    chain = RegtestChain()
    chain.mine(COINBASE_MATURITY)  # height 100: the coinbase of block 1 matures in block 101
    assert chain.balance(chain.wallets.funding) == 50 * 10**8
    coins = chain.spendable(chain.wallets.funding)
    first = chain.wallets.funding.build_payment(coins, chain.wallets.funding.script_pubkey(1), 10**8, 2)
    second = chain.wallets.funding.build_payment(coins, chain.wallets.funding.script_pubkey(2), 10**8, 2)
    chain.submit(first)
    with pytest.raises(DevnetError, match="already spent"):
        chain.submit(second)
    immature = [o for o in chain.utxos(chain.wallets.funding.script_pubkey(0)) if o.height == 2]
    early = chain.wallets.funding.build_payment(
        [Coin(o.txid, o.vout, o.value, o.script_pubkey) for o in immature],
        chain.wallets.funding.script_pubkey(1),
        10**8,
        2,
    )
    with pytest.raises(DevnetError, match="immature"):
        chain.submit(early)


def test_block_times_strictly_increase_and_can_be_old() -> None:
    chain = RegtestChain()
    hashes_ = chain.mine(3, time=1_400_000_000)
    assert [chain.block(h).time for h in hashes_] == [1_400_000_000, 1_400_000_001, 1_400_000_002]
    with pytest.raises(DevnetError):
        chain.mine(1, time=1_400_000_002)
    assert chain.tip_height == 3


def test_mempool_outputs_are_unconfirmed_and_spent_ones_hidden() -> None:
    chain = RegtestChain()
    chain.mine(101)
    target = chain.wallets.reserve_wpkh.script_pubkey(0)
    txid = chain.send(chain.wallets.reserve_wpkh.address(0), 10**8, from_wallet=chain.wallets.funding)
    assert [(o.txid, o.height) for o in chain.utxos(target)] == [(txid, None)]
    stats = chain.address_stats(target)
    assert stats["mempool_stats"]["tx_count"] == 1 and stats["chain_stats"]["tx_count"] == 0
    chain.mine(1)
    assert chain.tx(txid).height == 102 and chain.mempool() == ()
    assert chain.address_stats(target)["chain_stats"]["funded_txo_sum"] == 10**8


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40))
def test_merkle_root_matches_naive_recursion(leaves: list[bytes]) -> None:
    assert merkle_root(leaves) == naive_merkle(leaves)


@given(st.integers(min_value=17, max_value=2**40))
def test_bip34_push_round_trips(height: int) -> None:
    push = bip34_height_push(height)
    assert push[0] == len(push) - 1 == len(script_num(height))
    assert int.from_bytes(push[1:], "little") == height
    assert push[-1] & 0x80 == 0  # never read back as negative
