"""BIP-37 merkle blocks (what Core's `gettxoutproof` returns): build and check partial merkle trees."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO

from embit import compact

from chains.errors import ChainDataError

# Core's bound (MAX_BLOCK_WEIGHT / MIN_TRANSACTION_WEIGHT): no block holds more transactions.
MAX_TXS = 4_000_000 // 240


def _sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def _width(ntx: int, height: int) -> int:
    return (ntx + (1 << height) - 1) >> height


def _tree_height(ntx: int) -> int:
    height = 0
    while _width(ntx, height) > 1:
        height += 1
    return height


@dataclass(frozen=True)
class MerkleBlock:
    """A checked merkle block: the 80-byte header, and the matched txids (display hex) with their
    positions in the block. The partial tree's root equals the header's merkle root."""

    header: bytes
    tx_count: int
    matched: tuple[tuple[str, int], ...]

    @property
    def block_hash(self) -> str:
        return _sha256d(self.header)[::-1].hex()


def build_merkle_block(header: bytes, txids: list[str], wanted: set[str]) -> bytes:
    """Serialize the merkle block of a block (`header`, all `txids` in display hex) proving `wanted`."""
    leaves = [bytes.fromhex(t)[::-1] for t in txids]
    matches = [t in wanted for t in txids]
    bits: list[bool] = []
    hashes: list[bytes] = []

    def node_hash(height: int, pos: int) -> bytes:
        if height == 0:
            return leaves[pos]
        left = node_hash(height - 1, 2 * pos)
        right = node_hash(height - 1, 2 * pos + 1) if 2 * pos + 1 < _width(len(leaves), height - 1) else left
        return _sha256d(left + right)

    def build(height: int, pos: int) -> None:
        parent_of_match = any(matches[pos << height : (pos + 1) << height])
        bits.append(parent_of_match)
        if height == 0 or not parent_of_match:
            hashes.append(node_hash(height, pos))
            return
        build(height - 1, 2 * pos)
        if 2 * pos + 1 < _width(len(leaves), height - 1):
            build(height - 1, 2 * pos + 1)

    build(_tree_height(len(leaves)), 0)
    flags = bytearray((len(bits) + 7) // 8)
    for i, bit in enumerate(bits):
        flags[i // 8] |= bit << (i % 8)
    return (
        header
        + len(leaves).to_bytes(4, "little")
        + compact.to_bytes(len(hashes))
        + b"".join(hashes)
        + compact.to_bytes(len(flags))
        + bytes(flags)
    )


def parse_merkle_block(raw: bytes) -> MerkleBlock:
    """Decode and check a merkle block; ChainDataError when malformed or its root is not the header's."""
    stream = BytesIO(raw)
    try:
        header = _take(stream, 80)
        ntx = int.from_bytes(_take(stream, 4), "little")
        hashes = [_take(stream, 32) for _ in range(_count(stream, MAX_TXS))]
        flags = _take(stream, _count(stream, (MAX_TXS * 2 + 7) // 8))
    except (ValueError, EOFError) as exc:
        raise ChainDataError(f"merkle block is malformed: {exc}") from exc
    if stream.read(1):
        raise ChainDataError("merkle block has trailing bytes")
    if not 0 < ntx <= MAX_TXS or len(hashes) > ntx or len(flags) * 8 < len(hashes):
        raise ChainDataError("merkle block counts are out of bounds")
    state = {"bit": 0, "hash": 0}
    matched: list[tuple[str, int]] = []

    def next_bit() -> bool:
        if state["bit"] >= len(flags) * 8:
            raise ChainDataError("merkle block ran out of flag bits")
        bit = bool(flags[state["bit"] // 8] >> (state["bit"] % 8) & 1)
        state["bit"] += 1
        return bit

    def next_hash() -> bytes:
        if state["hash"] >= len(hashes):
            raise ChainDataError("merkle block ran out of hashes")
        state["hash"] += 1
        return hashes[state["hash"] - 1]

    def extract(height: int, pos: int) -> bytes:
        parent_of_match = next_bit()
        if height == 0 or not parent_of_match:
            value = next_hash()
            if height == 0 and parent_of_match:
                matched.append((value[::-1].hex(), pos))
            return value
        left = extract(height - 1, 2 * pos)
        if 2 * pos + 1 < _width(ntx, height - 1):
            right = extract(height - 1, 2 * pos + 1)
            if right == left:  # CVE-2012-2459: a duplicated subtree could fake a match
                raise ChainDataError("merkle block has identical sibling hashes")
        else:
            right = left
        return _sha256d(left + right)

    root = extract(_tree_height(ntx), 0)
    if state["hash"] != len(hashes) or (state["bit"] + 7) // 8 != len(flags):
        raise ChainDataError("merkle block has unused hashes or flag bytes")
    if root != header[36:68]:
        raise ChainDataError("merkle block's tree does not hash to the header's merkle root")
    return MerkleBlock(header, ntx, tuple(matched))


def _take(stream: BytesIO, n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise EOFError("truncated")
    return data


def _count(stream: BytesIO, limit: int) -> int:
    n = compact.read_from(stream)
    if n > limit:
        raise ValueError("count too large")
    return n
