"""Strict, bounded decoding of the bytes a signature carries: transactions, witness stacks, scriptSig pushes."""

from __future__ import annotations

import base64
import binascii

from embit.script import Script, Witness
from embit.transaction import Transaction, TransactionInput, TransactionOutput

# Bitcoin Core's MAX_SIZE for a compact size, and the consensus limit of one stack element (a P2SH redeem
# script or any pushed item; a witness script may be larger, up to the 10,000-byte script limit).
MAX_COMPACT_SIZE = 0x02000000
MAX_ELEMENT = 520
MAX_SCRIPT = 10_000


class DecodeError(ValueError):
    """The bytes are not a well-formed, canonical encoding (truncated, trailing data, oversized counts)."""


class Reader:
    """A cursor over bytes that never reads past the end: every short read is a DecodeError."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def read(self, n: int) -> bytes:
        if n < 0 or n > self.remaining:
            raise DecodeError("truncated data")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u32(self) -> int:
        return int.from_bytes(self.read(4), "little")

    def u64(self) -> int:
        return int.from_bytes(self.read(8), "little")

    def compact(self) -> int:
        first = self.read(1)[0]
        if first < 0xFD:
            return first
        width = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
        value = int.from_bytes(self.read(width), "little")
        # Core rejects non-canonical sizes (a small number in a wide encoding) and anything above MAX_SIZE.
        if value < {2: 0xFD, 4: 0x10000, 8: 0x100000000}[width]:
            raise DecodeError("non-canonical compact size")
        if value > MAX_COMPACT_SIZE:
            raise DecodeError("compact size too large")
        return value

    def count(self, min_item_bytes: int) -> int:
        """A list length, refused before allocating when the bytes left cannot hold that many items."""
        n = self.compact()
        if n * min_item_bytes > self.remaining:
            raise DecodeError("list length exceeds the data")
        return n

    def var_bytes(self) -> bytes:
        return self.read(self.compact())

    def end(self) -> None:
        if self.remaining:
            raise DecodeError("trailing bytes after the encoding")


def compact_size(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "little")
    return b"\xff" + n.to_bytes(8, "little")


def b64decode_strict(text: str) -> bytes:
    """Standard base64 with padding; anything else (URL alphabet, whitespace, bad padding) is a DecodeError."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise DecodeError("not valid base64") from exc


def read_witness(reader: Reader) -> list[bytes]:
    return [reader.var_bytes() for _ in range(reader.count(1))]


def parse_witness_stack(data: bytes) -> list[bytes]:
    """A consensus-encoded witness stack (vector of byte vectors), the body of a simple signature."""
    reader = Reader(data)
    items = read_witness(reader)
    reader.end()
    return items


def serialize_witness_stack(items: list[bytes]) -> bytes:
    return compact_size(len(items)) + b"".join(compact_size(len(i)) + i for i in items)


def _read_input(reader: Reader) -> TransactionInput:
    txid = reader.read(32)[::-1]  # embit keeps txids in display (reversed) order
    vout = reader.u32()
    script_sig = reader.var_bytes()
    return TransactionInput(txid, vout, Script(script_sig), reader.u32())


def parse_transaction(data: bytes) -> Transaction:
    """A transaction in network serialisation, with or without the segwit marker; strict about every byte."""
    reader = Reader(data)
    version = reader.u32()
    segwit = reader.remaining >= 2 and reader.data[reader.pos] == 0 and reader.data[reader.pos + 1] == 1
    if segwit:
        reader.read(2)
    vin = [_read_input(reader) for _ in range(reader.count(41))]
    if not vin:
        raise DecodeError("transaction has no inputs")
    vout = [TransactionOutput(reader.u64(), Script(reader.var_bytes())) for _ in range(reader.count(9))]
    if segwit:
        for txin in vin:
            txin.witness = Witness(read_witness(reader))
        if all(not txin.witness.items for txin in vin):
            raise DecodeError("segwit marker with only empty witnesses")
    locktime = reader.u32()
    reader.end()
    return Transaction(version=version, vin=vin, vout=vout, locktime=locktime)


def parse_pushes(script: bytes) -> list[bytes]:
    """The data pushed by a push-only scriptSig, refusing non-push opcodes and non-minimal pushes (MINIMALDATA)."""
    reader = Reader(script)
    items: list[bytes] = []
    while reader.remaining:
        op = reader.read(1)[0]
        if op == 0:
            items.append(b"")
            continue
        if 0x51 <= op <= 0x60 or op == 0x4F:  # OP_1..OP_16, OP_1NEGATE
            items.append(bytes([op - 0x50]) if op != 0x4F else b"\x81")
            continue
        if op <= 0x4B:
            size = op
        elif op == 0x4C:
            size = reader.read(1)[0]
        elif op == 0x4D:
            size = int.from_bytes(reader.read(2), "little")
        elif op == 0x4E:
            size = int.from_bytes(reader.read(4), "little")
        else:
            raise DecodeError("scriptSig is not push-only")
        data = reader.read(size)
        if not _minimal_push(op, data):
            raise DecodeError("non-minimal push (MINIMALDATA)")
        if len(data) > MAX_ELEMENT:
            raise DecodeError("pushed element larger than 520 bytes")
        items.append(data)
    return items


def _minimal_push(op: int, data: bytes) -> bool:
    size = len(data)
    if size == 0 or (size == 1 and (1 <= data[0] <= 16 or data[0] == 0x81)):
        return False  # must use OP_0 / OP_n / OP_1NEGATE
    if size <= 75:
        return op == size
    if size <= 255:
        return op == 0x4C
    if size <= 65535:
        return op == 0x4D
    return op == 0x4E
