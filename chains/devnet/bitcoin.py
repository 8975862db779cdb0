"""In-process Bitcoin regtest chain: byte-valid blocks and transactions with UTXO, spent, tx and address indexes."""

from __future__ import annotations

import threading
import time as _time
from collections import defaultdict
from dataclasses import dataclass, replace
from io import BytesIO
from statistics import median
from typing import TypedDict

from embit import compact
from embit.networks import NETWORKS
from embit.script import address_to_scriptpubkey
from embit.transaction import Transaction

from chains.devnet.btc_block import (
    REGTEST_BITS,
    Header,
    block_subsidy,
    coinbase_tx,
    commit,
    genesis_coinbase,
    genesis_header,
    grind,
    merkle_branch,
    merkle_root,
    serialize_block,
)
from chains.devnet.btc_wallet import Coin, DevnetError, DevnetWallets, WpkhWallet, verify_p2wpkh_input

__all__ = ["DevnetBlock", "DevnetError", "DevnetTx", "DevnetWallets", "Output", "RegtestChain", "regtest_script"]

COINBASE_MATURITY = 100
BLOCK_VERSION = 0x20000000  # BIP-9 top bits, no deployment signalled


@dataclass(frozen=True)
class DevnetBlock:
    """A mined block: `hash` in display hex, `raw` its full serialization (witnesses included)."""

    hash: str
    height: int
    header: Header
    txids: tuple[str, ...]
    raw: bytes
    weight: int

    @property
    def time(self) -> int:
        return self.header.time

    @property
    def prev_hash(self) -> str | None:
        return None if self.height == 0 else self.header.prev[::-1].hex()


@dataclass(frozen=True)
class DevnetTx:
    """A transaction, confirmed (`height` set) or in the mempool; `fee` in sats (0 for coinbases)."""

    txid: str
    tx: Transaction
    raw: bytes
    weight: int
    fee: int
    is_coinbase: bool
    height: int | None = None
    block_hash: str | None = None
    block_time: int | None = None


class _Placement(TypedDict):
    """Where a mined transaction sits: the DevnetTx fields set when its block is recorded."""

    height: int
    block_hash: str
    block_time: int


@dataclass(frozen=True)
class Output:
    """A transaction output; `height` is None while its transaction is in the mempool."""

    txid: str
    vout: int
    value: int
    script_pubkey: bytes
    height: int | None
    coinbase: bool


def regtest_script(address: str) -> bytes:
    """scriptPubKey of a regtest address; DevnetError when invalid or of another network."""
    try:
        script = address_to_scriptpubkey(address)
        canonical = script.address(NETWORKS["regtest"])
    except Exception as exc:  # embit raises several types for undecodable input
        raise DevnetError("Invalid Bitcoin address") from exc
    if canonical != (address.lower() if address.lower().startswith("bcrt1") else address):
        raise DevnetError("Address on invalid network")
    return script.data


def legacy_bytes(tx: Transaction) -> bytes:
    """Serialization without witnesses (what the txid hashes; 'base size' for weight)."""
    out = tx.version.to_bytes(4, "little") + compact.to_bytes(len(tx.vin))
    out += b"".join(inp.serialize() for inp in tx.vin) + compact.to_bytes(len(tx.vout))
    out += b"".join(o.serialize() for o in tx.vout) + tx.locktime.to_bytes(4, "little")
    return out


def tx_weight(tx: Transaction) -> int:
    """BIP-141 weight: 3 x base size + total size."""
    return 3 * len(legacy_bytes(tx)) + len(tx.serialize())


class RegtestChain:
    """A regtest chain starting at the real regtest genesis block.

    Mutations (`mine`, `send`, `submit`) and reads are serialised by one re-entrant lock, so a driver
    thread may mine while the Esplora server thread reads. Every block has a BIP-34 coinbase paying
    subsidy + fees, a BIP-141 witness commitment, a real merkle root and regtest proof of work;
    timestamps strictly increase. Only P2WPKH inputs are accepted, and their signatures are verified.
    """

    def __init__(self, wallets: DevnetWallets | None = None) -> None:
        self.wallets = wallets or DevnetWallets()
        self.lock = threading.RLock()
        self._blocks: list[DevnetBlock] = []
        self._by_hash: dict[str, DevnetBlock] = {}
        self._txs: dict[str, DevnetTx] = {}
        self._outputs: dict[tuple[str, int], Output] = {}
        self._spent: dict[tuple[str, int], str] = {}
        self._by_script: defaultdict[bytes, list[str]] = defaultdict(list)
        self._mempool: dict[str, None] = {}
        genesis = genesis_coinbase()
        # The genesis coinbase is not spendable (as in Bitcoin Core): recorded, not indexed.
        self._record_block(genesis_header(), [genesis], index=False)

    # --- reads -------------------------------------------------------------------------------

    @property
    def tip_height(self) -> int:
        with self.lock:
            return len(self._blocks) - 1

    @property
    def tip_hash(self) -> str:
        with self.lock:
            return self._blocks[-1].hash

    def block(self, block_hash: str) -> DevnetBlock | None:
        with self.lock:
            return self._by_hash.get(block_hash)

    def block_at(self, height: int) -> DevnetBlock | None:
        with self.lock:
            return self._blocks[height] if 0 <= height < len(self._blocks) else None

    def blocks(self) -> tuple[DevnetBlock, ...]:
        """All blocks, genesis first."""
        with self.lock:
            return tuple(self._blocks)

    def tx(self, txid: str) -> DevnetTx | None:
        with self.lock:
            return self._txs.get(txid)

    def mempool(self) -> tuple[str, ...]:
        with self.lock:
            return tuple(self._mempool)

    def output(self, txid: str, vout: int) -> Output | None:
        with self.lock:
            return self._outputs.get((txid, vout))

    def spender(self, txid: str, vout: int) -> str | None:
        """Txid of the (confirmed or mempool) transaction spending the outpoint, if any."""
        with self.lock:
            return self._spent.get((txid, vout))

    def median_time_past(self, height: int) -> int:
        with self.lock:
            return int(median(b.time for b in self._blocks[max(0, height - 10) : height + 1]))

    def utxos(self, script_pubkey: bytes) -> list[Output]:
        """Unspent outputs paying `script_pubkey`: confirmed and mempool, minus those spent in the mempool."""
        with self.lock:
            found: dict[tuple[str, int], Output] = {}
            for txid in self._by_script.get(script_pubkey, ()):
                for vout, out in enumerate(self._txs[txid].tx.vout):
                    point = (txid, vout)
                    if out.script_pubkey.data == script_pubkey and point not in self._spent:
                        found[point] = self._outputs[point]
            return list(found.values())

    def history(self, script_pubkey: bytes) -> list[DevnetTx]:
        """Transactions touching `script_pubkey` as Esplora lists them: mempool newest first, then
        confirmed newest first (height, then position in the block, descending)."""
        with self.lock:
            recs = [self._txs[txid] for txid in dict.fromkeys(self._by_script.get(script_pubkey, ()))]
            pending = [r for r in recs if r.height is None]
            mempool_order = {txid: i for i, txid in enumerate(self._mempool)}
            pending.sort(key=lambda r: mempool_order[r.txid], reverse=True)
            # (height, record) pairs: the height is known to be set where the sort key reads it.
            confirmed = [(h, r) for r in recs if (h := r.height) is not None]
            confirmed.sort(key=lambda p: (p[0], self._blocks[p[0]].txids.index(p[1].txid)), reverse=True)
            return pending + [r for _, r in confirmed]

    def merkle_proof(self, txid: str) -> tuple[int, list[str], int] | None:
        """(block height, branch in display hex, position) of a confirmed transaction, else None."""
        with self.lock:
            rec = self._txs.get(txid)
            if rec is None or rec.height is None:
                return None
            txids = self._blocks[rec.height].txids
            pos = txids.index(txid)
            leaves = [bytes.fromhex(t)[::-1] for t in txids]
            return rec.height, [h[::-1].hex() for h in merkle_branch(leaves, pos)], pos

    def address_stats(self, script_pubkey: bytes) -> dict[str, dict[str, int]]:
        """Esplora's `chain_stats` and `mempool_stats` of a script."""
        with self.lock:
            stats = {k: dict.fromkeys(_STAT_KEYS, 0) for k in ("chain_stats", "mempool_stats")}
            for txid in self._by_script.get(script_pubkey, ()):
                rec = self._txs[txid]
                bucket = stats["chain_stats" if rec.height is not None else "mempool_stats"]
                bucket["tx_count"] += 1
                for out in rec.tx.vout:
                    if out.script_pubkey.data == script_pubkey:
                        bucket["funded_txo_count"] += 1
                        bucket["funded_txo_sum"] += out.value
                for prev in self._prevouts(rec):
                    if prev.script_pubkey == script_pubkey:
                        bucket["spent_txo_count"] += 1
                        bucket["spent_txo_sum"] += prev.value
            return stats

    def spendable(self, wallet: WpkhWallet) -> list[Coin]:
        """Coins of `wallet` that the next block may spend (mature, not spent in chain or mempool)."""
        with self.lock:
            coins = []
            for script in wallet.scripts:
                for out in self.utxos(script):
                    if out.coinbase and self.tip_height + 1 - out.height < COINBASE_MATURITY:  # type: ignore[operator]  # a coinbase is confirmed
                        continue
                    coins.append(Coin(out.txid, out.vout, out.value, out.script_pubkey))
            return coins

    def balance(self, wallet: WpkhWallet) -> int:
        """Sats of `wallet` spendable by the next block."""
        return sum(c.value for c in self.spendable(wallet))

    # --- mutations ---------------------------------------------------------------------------

    def send(self, to_address: str, value_sat: int, *, from_wallet: WpkhWallet, fee_rate: int = 2) -> str:
        """Pay `value_sat` to `to_address` from `from_wallet` (fee `fee_rate` sat/vB); the txid.

        The signed transaction enters the mempool and is mined by the next `mine()`.
        """
        with self.lock:
            tx = from_wallet.build_payment(self.spendable(from_wallet), regtest_script(to_address), value_sat, fee_rate)
            return self.submit(tx)

    def submit(self, tx: Transaction | bytes | str) -> str:
        """Validate a transaction (object, raw bytes or hex) and add it to the mempool; its txid."""
        tx = _parse_tx(tx)
        with self.lock:
            fee = self._check(tx)
            txid = tx.txid().hex()
            rec = DevnetTx(txid, tx, tx.serialize(), tx_weight(tx), fee, False)
            self._txs[txid] = rec
            self._index(rec, height=None)
            self._mempool[txid] = None
            return txid

    def mine(self, n: int = 1, *, time: int | None = None, txs: tuple = (), to_address: str | None = None) -> list[str]:
        """Mine `n` blocks; their hashes.

        `txs` are submitted first; the first block takes the whole mempool. `time` (Unix seconds) is
        the first block's timestamp, later ones follow one second apart; by default blocks are
        stamped now (or previous + 1 s). The coinbase pays `to_address` (default: funding wallet child 0).
        """
        if n < 1:
            raise DevnetError("mine at least one block")
        with self.lock:
            for tx in txs:
                self.submit(tx)
            script = regtest_script(to_address) if to_address else self.wallets.funding.script_pubkey(0)
            hashes = []
            for k in range(n):
                stamp = self._next_time(None if time is None else time + k)
                hashes.append(self._mine_one(stamp, script))
            return hashes

    # --- internals ---------------------------------------------------------------------------

    def _next_time(self, wanted: int | None) -> int:
        previous = self._blocks[-1].time
        if wanted is None:
            return max(previous + 1, int(_time.time()))
        if wanted <= previous or wanted >= 2**32:
            raise DevnetError(f"block time {wanted} must be after the previous block's {previous}")
        return wanted

    def _mine_one(self, stamp: int, script: bytes) -> str:
        included = [self._txs[txid] for txid in self._mempool]
        height = len(self._blocks)
        coinbase = coinbase_tx(height, block_subsidy(height) + sum(r.fee for r in included), script)
        commit(coinbase, [r.tx for r in included])
        txs = [coinbase] + [r.tx for r in included]
        prev = bytes.fromhex(self._blocks[-1].hash)[::-1]
        unmined = Header(BLOCK_VERSION, prev, merkle_root([tx.hash() for tx in txs]), stamp, REGTEST_BITS, 0)
        return self._record_block(grind(unmined), txs, index=True)

    def _record_block(self, header: Header, txs: list[Transaction], *, index: bool) -> str:
        raw = serialize_block(header, txs)
        base = len(header.serialize()) + len(compact.to_bytes(len(txs))) + sum(len(legacy_bytes(t)) for t in txs)
        block = DevnetBlock(
            header.hash_hex(), len(self._blocks), header, tuple(t.txid().hex() for t in txs), raw, 3 * base + len(raw)
        )
        self._blocks.append(block)
        self._by_hash[block.hash] = block
        for i, tx in enumerate(txs):
            txid = block.txids[i]
            where: _Placement = {"height": block.height, "block_hash": block.hash, "block_time": block.time}
            if txid in self._mempool:
                del self._mempool[txid]
                self._txs[txid] = replace(self._txs[txid], **where)
                for vout in range(len(tx.vout)):
                    self._outputs[(txid, vout)] = replace(self._outputs[(txid, vout)], height=block.height)
                continue
            rec = DevnetTx(txid, tx, tx.serialize(), tx_weight(tx), 0, i == 0, **where)
            self._txs[txid] = rec
            if index:
                self._index(rec, height=block.height)
        return block.hash

    def _index(self, rec: DevnetTx, *, height: int | None) -> None:
        touched: list[bytes] = []
        if not rec.is_coinbase:
            for inp in rec.tx.vin:
                point = (inp.txid.hex(), inp.vout)
                self._spent[point] = rec.txid
                touched.append(self._outputs[point].script_pubkey)
        for vout, out in enumerate(rec.tx.vout):
            self._outputs[(rec.txid, vout)] = Output(
                rec.txid, vout, out.value, out.script_pubkey.data, height, rec.is_coinbase
            )
            touched.append(out.script_pubkey.data)
        for script in dict.fromkeys(touched):
            self._by_script[script].append(rec.txid)

    def _prevouts(self, rec: DevnetTx) -> list[Output]:
        if rec.is_coinbase:
            return []
        return [self._outputs[(inp.txid.hex(), inp.vout)] for inp in rec.tx.vin]

    def _check(self, tx: Transaction) -> int:
        """Consensus-style checks of a mempool candidate; its fee in sats."""
        txid = tx.txid().hex()
        if txid in self._txs:
            raise DevnetError("transaction already known")
        if not tx.vin or not tx.vout:
            raise DevnetError("transaction needs inputs and outputs")
        points = [(inp.txid.hex(), inp.vout) for inp in tx.vin]
        if len(set(points)) != len(points):
            raise DevnetError("duplicate input")
        total_in = 0
        for i, point in enumerate(points):
            prev = self._outputs.get(point)
            if prev is None:
                raise DevnetError(f"input {i} spends an unknown output")
            if point in self._spent:
                raise DevnetError(f"input {i} spends an already spent output")
            if prev.coinbase and len(self._blocks) - prev.height < COINBASE_MATURITY:  # type: ignore[operator]  # a coinbase is confirmed
                raise DevnetError(f"input {i} spends an immature coinbase")
            if not verify_p2wpkh_input(tx, i, prev.script_pubkey, prev.value):
                raise DevnetError(f"input {i}: not a valid P2WPKH signature")
            total_in += prev.value
        total_out = sum(out.value for out in tx.vout)
        if total_out > total_in:
            raise DevnetError("outputs exceed inputs")
        return total_in - total_out


_STAT_KEYS = ("funded_txo_count", "funded_txo_sum", "spent_txo_count", "spent_txo_sum", "tx_count")


def _parse_tx(tx: Transaction | bytes | str) -> Transaction:
    if isinstance(tx, Transaction):
        return tx
    try:
        raw = bytes.fromhex(tx) if isinstance(tx, str) else bytes(tx)
        stream = BytesIO(raw)
        parsed = Transaction.read_from(stream)
    except Exception as exc:  # embit raises several types on truncated or malformed bytes
        raise DevnetError("transaction could not be decoded") from exc
    if stream.read(1):
        raise DevnetError("trailing bytes after the transaction")
    return parsed
