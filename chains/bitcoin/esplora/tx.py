"""Esplora transaction-side answers (tx, status, outspends, merkle proof) as validated value types."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from embit import compact
from embit.transaction import Transaction

from chains.errors import ChainDataError
from chains.hexes import HEX_BYTES, is_hex64

MAX_SATS = 21_000_000 * 100_000_000
MAX_TX_BYTES = 4_000_000  # a block's weight limit bounds any transaction's serialized size
# A consensus-valid transaction has at most ~4 MB of serialized bytes (block weight limit); its
# outputs are at least 9 bytes each, so no transaction has more than this many inputs or outputs.
MAX_TX_IO = 500_000
MAX_SCRIPT_BYTES = 10_000  # consensus MAX_SCRIPT_SIZE; longer scriptPubKeys are unspendable anyway
# A block holds at most ~2**17 transactions (4 MB / 60-byte minimum tx in weight units); a branch
# of more than 32 levels is garbage.
MAX_MERKLE_DEPTH = 32


@dataclass(frozen=True)
class TxStatus:
    """Confirmation status of a transaction; `height`/`block_hash` are None while unconfirmed."""

    confirmed: bool
    height: int | None = None
    block_hash: str | None = None
    block_time: int | None = None


@dataclass(frozen=True)
class EsploraOutput:
    """One output: value in sats, scriptPubKey as lowercase hex, address when Esplora names one."""

    value_sat: int
    script_pubkey: str
    address: str | None


@dataclass(frozen=True)
class EsploraTx:
    """A transaction as `/tx/:txid` shows it; `inputs` are the spent outpoints (empty for a coinbase)."""

    txid: str
    is_coinbase: bool
    inputs: tuple[tuple[str, int], ...]
    outputs: tuple[EsploraOutput, ...]
    status: TxStatus


@dataclass(frozen=True)
class Outspend:
    """Spending status of one output; `txid`/`vin`/`status` describe the spender when `spent`."""

    spent: bool
    txid: str | None = None
    vin: int | None = None
    status: TxStatus | None = None


@dataclass(frozen=True)
class MerkleProof:
    """Electrum-style merkle proof: sibling hashes leaf to root in display hex, `pos` the tx index."""

    block_height: int
    merkle: tuple[str, ...]
    pos: int


def expect(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind):
        raise ChainDataError(f"{where}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def uint(value: Any, where: str, maximum: int = 2**63 - 1) -> int:
    # bool is an int subclass in Python; JSON true must not pass as 1.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise ChainDataError(f"{where}: expected an integer in [0, {maximum}]")
    return value


def hash_hex(value: Any, where: str) -> str:
    if not is_hex64(value):
        raise ChainDataError(f"{where}: expected 64 lowercase hex chars")
    return value


def hex_bytes(value: Any, where: str, max_bytes: int) -> str:
    """Lowercase even-length hex of at most `max_bytes` bytes."""
    if not isinstance(value, str) or len(value) > 2 * max_bytes or not HEX_BYTES.fullmatch(value):
        raise ChainDataError(f"{where}: expected lowercase hex of at most {max_bytes} bytes")
    return value


def boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ChainDataError(f"{where}: expected a boolean")
    return value


def status(value: Any, where: str) -> TxStatus:
    data = expect(value, dict, where)
    if not boolean(data.get("confirmed"), where + ".confirmed"):
        return TxStatus(False)
    block_time = data.get("block_time")
    return TxStatus(
        True,
        height=uint(data.get("block_height"), where + ".block_height", 2**31 - 1),
        block_hash=hash_hex(data.get("block_hash"), where + ".block_hash"),
        block_time=None if block_time is None else uint(block_time, where + ".block_time", 2**32 - 1),
    )


def transaction(value: Any, where: str) -> EsploraTx:
    data = expect(value, dict, where)
    vin = expect(data.get("vin"), list, where + ".vin")
    vout = expect(data.get("vout"), list, where + ".vout")
    if not vin or not vout or len(vin) > MAX_TX_IO or len(vout) > MAX_TX_IO:
        raise ChainDataError(f"{where}: a transaction has 1 to {MAX_TX_IO} inputs and outputs")
    first = expect(vin[0], dict, where + ".vin[0]")
    coinbase = boolean(first.get("is_coinbase"), where + ".vin[0].is_coinbase")
    if coinbase and len(vin) != 1:
        raise ChainDataError(f"{where}: a coinbase has exactly one input")
    inputs = () if coinbase else tuple(_input(item, f"{where}.vin[{i}]") for i, item in enumerate(vin))
    return EsploraTx(
        txid=hash_hex(data.get("txid"), where + ".txid"),
        is_coinbase=coinbase,
        inputs=inputs,
        outputs=tuple(_output(item, f"{where}.vout[{i}]") for i, item in enumerate(vout)),
        status=status(data.get("status"), where + ".status"),
    )


def _input(value: Any, where: str) -> tuple[str, int]:
    data = expect(value, dict, where)
    if data.get("is_coinbase") is not False:
        raise ChainDataError(f"{where}: only the first input of a coinbase may be a coinbase input")
    return hash_hex(data.get("txid"), where + ".txid"), uint(data.get("vout"), where + ".vout", 2**32 - 1)


def _output(value: Any, where: str) -> EsploraOutput:
    data = expect(value, dict, where)
    address = data.get("scriptpubkey_address")
    if address is not None and (not isinstance(address, str) or not 0 < len(address) <= 100):
        raise ChainDataError(f"{where}.scriptpubkey_address: expected a string of 1 to 100 chars")
    return EsploraOutput(
        value_sat=uint(data.get("value"), where + ".value", MAX_SATS),
        script_pubkey=hex_bytes(data.get("scriptpubkey"), where + ".scriptpubkey", MAX_SCRIPT_BYTES),
        address=address,
    )


def outspend(value: Any, where: str) -> Outspend:
    data = expect(value, dict, where)
    if not boolean(data.get("spent"), where + ".spent"):
        return Outspend(False)
    return Outspend(
        True,
        txid=hash_hex(data.get("txid"), where + ".txid"),
        vin=uint(data.get("vin"), where + ".vin", MAX_TX_IO),
        status=status(data.get("status"), where + ".status"),
    )


def merkle_proof(value: Any, where: str) -> MerkleProof:
    data = expect(value, dict, where)
    branch = expect(data.get("merkle"), list, where + ".merkle")
    if len(branch) > MAX_MERKLE_DEPTH:
        raise ChainDataError(f"{where}.merkle: more than {MAX_MERKLE_DEPTH} levels")
    return MerkleProof(
        block_height=uint(data.get("block_height"), where + ".block_height", 2**31 - 1),
        merkle=tuple(hash_hex(item, f"{where}.merkle[{i}]") for i, item in enumerate(branch)),
        pos=uint(data.get("pos"), where + ".pos", 2**32 - 1),
    )


def sha256d(data: bytes) -> bytes:
    """Bitcoin's double SHA-256 (internal byte order)."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def parse_raw_tx(raw: bytes) -> Transaction:
    """Strictly parse serialized transaction bytes (no trailing bytes); ChainDataError when malformed."""
    if not raw or len(raw) > MAX_TX_BYTES:
        raise ChainDataError(f"a transaction is 1 to {MAX_TX_BYTES} bytes")
    stream = BytesIO(raw)
    try:
        tx = Transaction.read_from(stream)
    except Exception as exc:  # embit raises several types on truncated or malformed bytes
        raise ChainDataError("transaction bytes could not be decoded") from exc
    if stream.read(1):
        raise ChainDataError("trailing bytes after the transaction")
    return tx


def stripped_bytes(tx: Transaction) -> bytes:
    """Serialization without witnesses: exactly the bytes the txid hashes."""
    return (
        tx.version.to_bytes(4, "little")
        + compact.to_bytes(len(tx.vin))
        + b"".join(i.serialize() for i in tx.vin)
        + compact.to_bytes(len(tx.vout))
        + b"".join(o.serialize() for o in tx.vout)
        + tx.locktime.to_bytes(4, "little")
    )


def raw_txid(raw: bytes) -> str:
    """Display-hex txid of serialized transaction bytes (witness or not); ChainDataError when malformed."""
    return sha256d(stripped_bytes(parse_raw_tx(raw)))[::-1].hex()
