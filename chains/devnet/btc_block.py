"""Bitcoin block primitives for the regtest devnet: hashes, merkle trees, headers, coinbases, proof of work."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from embit import compact
from embit.script import Script, Witness
from embit.transaction import Transaction, TransactionInput, TransactionOutput

REGTEST_BITS = 0x207FFFFF
REGTEST_HALVING_INTERVAL = 150
COIN = 100_000_000
NULL_HASH = b"\x00" * 32
# BIP-141 witness commitment output: OP_RETURN PUSH36 aa21a9ed <32-byte commitment>
WITNESS_COMMITMENT_PREFIX = bytes.fromhex("6a24aa21a9ed")

# The regtest genesis block (Bitcoin Core chainparams): the mainnet genesis coinbase with regtest
# time, bits and nonce.
GENESIS_HASH = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
GENESIS_TIME = 1296688602
GENESIS_NONCE = 2
_GENESIS_SCRIPT_SIG = bytes.fromhex(
    "04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b"
    "206f66207365636f6e64206261696c6f757420666f722062616e6b73"
)
_GENESIS_PUBKEY_SCRIPT = bytes.fromhex(
    "4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec11"
    "2de5c384df7ba0b8d578a4c702b6bf11d5fac"
)


def sha256d(data: bytes) -> bytes:
    """Bitcoin's double SHA-256 (internal byte order)."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def merkle_root(hashes: list[bytes]) -> bytes:
    """Merkle root of 32-byte hashes in internal order; an odd level duplicates its last hash."""
    if not hashes:
        raise ValueError("a merkle tree needs at least one leaf")
    level = list(hashes)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def merkle_branch(hashes: list[bytes], index: int) -> list[bytes]:
    """Sibling hashes from leaf `index` up to the root (internal order), as Electrum's get_merkle lists them."""
    if not 0 <= index < len(hashes):
        raise ValueError("leaf index outside the tree")
    branch: list[bytes] = []
    level = list(hashes)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        branch.append(level[index ^ 1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
        index //= 2
    return branch


def bits_to_target(bits: int) -> int:
    """The target encoded by compact `bits` (exponent byte, 3-byte mantissa)."""
    exponent, mantissa = bits >> 24, bits & 0x7FFFFF
    return mantissa << (8 * (exponent - 3)) if exponent > 3 else mantissa >> (8 * (3 - exponent))


def block_subsidy(height: int) -> int:
    """Regtest block reward in satoshis: 50 BTC halving every 150 blocks."""
    halvings = height // REGTEST_HALVING_INTERVAL
    return 0 if halvings >= 64 else (50 * COIN) >> halvings


def script_num(n: int) -> bytes:
    """Minimal little-endian CScriptNum encoding of a non-negative integer (sign bit kept clear)."""
    out = bytearray()
    while n:
        out.append(n & 0xFF)
        n >>= 8
    if out and out[-1] & 0x80:
        out.append(0)
    return bytes(out)


def bip34_height_push(height: int) -> bytes:
    """The push of `height` that BIP-34 requires at the start of the coinbase scriptSig (CScript() << h)."""
    if height == 0:
        return b"\x00"  # OP_0
    if 1 <= height <= 16:
        return bytes([0x50 + height])  # OP_1..OP_16
    data = script_num(height)
    return bytes([len(data)]) + data


@dataclass(frozen=True)
class Header:
    """An 80-byte block header; `prev` and `merkle` in internal byte order, `time` in Unix seconds."""

    version: int
    prev: bytes
    merkle: bytes
    time: int
    bits: int
    nonce: int

    def serialize(self) -> bytes:
        return (
            self.version.to_bytes(4, "little")
            + self.prev
            + self.merkle
            + self.time.to_bytes(4, "little")
            + self.bits.to_bytes(4, "little")
            + self.nonce.to_bytes(4, "little")
        )

    def hash_hex(self) -> str:
        """Block hash in display (big-endian) hex."""
        return sha256d(self.serialize())[::-1].hex()

    @classmethod
    def parse(cls, raw: bytes) -> Header:
        if len(raw) != 80:
            raise ValueError("a block header is 80 bytes")
        version, time, bits, nonce = (
            int.from_bytes(raw[a:b], "little") for a, b in ((0, 4), (68, 72), (72, 76), (76, 80))
        )
        return cls(version, raw[4:36], raw[36:68], time, bits, nonce)


def grind(header: Header) -> Header:
    """The header with the first nonce whose hash meets its target (regtest: about two tries)."""
    target = bits_to_target(header.bits)
    base = header.serialize()[:76]
    for nonce in range(2**32):
        if int.from_bytes(sha256d(base + nonce.to_bytes(4, "little")), "little") <= target:
            return Header(header.version, header.prev, header.merkle, header.time, header.bits, nonce)
    raise RuntimeError("nonce space exhausted; change the time or the coinbase")


def wtxid(tx: Transaction) -> bytes:
    """Witness txid in internal order (hash of the full serialization, witness included)."""
    return sha256d(tx.serialize())


def witness_commitment(txs: list[Transaction], reserved: bytes = NULL_HASH) -> bytes:
    """BIP-141 commitment: sha256d(witness merkle root || reserved value); the coinbase wtxid counts as zero."""
    leaves = [NULL_HASH] + [wtxid(tx) for tx in txs[1:]]
    return sha256d(merkle_root(leaves) + reserved)


def coinbase_tx(height: int, value: int, script_pubkey: bytes, tag: bytes = b"devnet") -> Transaction:
    """A coinbase paying `value` sats to `script_pubkey`; the witness commitment is added by `commit`."""
    script_sig = bip34_height_push(height) + bytes([len(tag)]) + tag
    vin = TransactionInput(NULL_HASH, 0xFFFFFFFF, Script(script_sig), 0xFFFFFFFF, Witness([NULL_HASH]))
    return Transaction(version=2, vin=[vin], vout=[TransactionOutput(value, Script(script_pubkey))], locktime=0)


def commit(coinbase: Transaction, txs: list[Transaction]) -> None:
    """Append the BIP-141 witness commitment output to `coinbase` for a block of `coinbase` + `txs`."""
    commitment = witness_commitment([coinbase, *txs])
    coinbase.vout.append(TransactionOutput(0, Script(WITNESS_COMMITMENT_PREFIX + commitment)))


def genesis_coinbase() -> Transaction:
    """The coinbase of the genesis block (legacy serialization, no witness)."""
    vin = TransactionInput(NULL_HASH, 0xFFFFFFFF, Script(_GENESIS_SCRIPT_SIG), 0xFFFFFFFF)
    vout = TransactionOutput(50 * COIN, Script(_GENESIS_PUBKEY_SCRIPT))
    return Transaction(version=1, vin=[vin], vout=[vout], locktime=0)


def genesis_header() -> Header:
    """The regtest genesis header; its hash is GENESIS_HASH."""
    merkle = genesis_coinbase().hash()
    return Header(1, NULL_HASH, merkle, GENESIS_TIME, REGTEST_BITS, GENESIS_NONCE)


def serialize_block(header: Header, txs: list[Transaction]) -> bytes:
    """Full block bytes: header, varint tx count, transactions with witnesses."""
    return header.serialize() + compact.to_bytes(len(txs)) + b"".join(tx.serialize() for tx in txs)
