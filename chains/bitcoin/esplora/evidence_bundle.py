"""SPV evidence bundle for one UTXO: its JSON form, strict parsing, and collection from Esplora."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from chains.bitcoin.esplora.client import EsploraClient
from chains.bitcoin.esplora.tx import (
    MAX_MERKLE_DEPTH,
    MAX_SATS,
    MAX_SCRIPT_BYTES,
    MAX_TX_BYTES,
    parse_raw_tx,
    stripped_bytes,
)
from chains.bitcoin.scan import gather
from chains.errors import ChainDataError
from chains.hexes import HEADER_HEX, HEX64, HEX_BYTES

FORMAT = "reserves-evidence/1"
# Headers from the UTXO's block up to the attested tip, 80 bytes each: 50,000 (about 347 days of
# blocks, 8 MB of hex) bounds a bundle's size and a verifier's work. Older UTXOs get no bundle
# (collect_evidence raises) until a checkpointed format exists.
MAX_HEADERS = 50_000
# Headers fetched concurrently per window while filling the cache (the client bounds in-flight requests).
_WINDOW = 500
_DIGITS = re.compile(r"0|[1-9][0-9]{0,15}")


class EvidenceFormatError(ChainDataError):
    """An evidence document is malformed or oversized."""

    code = "evidence_format"


@dataclass(frozen=True)
class EvidenceBundle:
    """What an auditor needs to check one UTXO against a header chain without trusting us.

    `tx_hex` is the transaction serialized without witnesses (what the txid hashes), `merkle_branch` its siblings
    leaf to root in
    display hex, `headers` the 80-byte headers (hex) from the UTXO's block (`block_height`) up to the
    attested tip, in height order. `value_sat` in satoshis, `script_pubkey` lowercase hex.
    """

    txid: str
    vout: int
    value_sat: int
    script_pubkey: str
    tx_hex: str
    block_height: int
    merkle_pos: int
    merkle_branch: tuple[str, ...]
    headers: tuple[str, ...]

    @property
    def tip_height(self) -> int:
        return self.block_height + len(self.headers) - 1

    def to_json(self) -> dict[str, Any]:
        """The JSON form (docs/evidence.md); `value_sat` is a decimal string like every amount we publish."""
        return {
            "format": FORMAT,
            "txid": self.txid,
            "vout": self.vout,
            "value_sat": str(self.value_sat),
            "script_pubkey": self.script_pubkey,
            "tx_hex": self.tx_hex,
            "block_height": self.block_height,
            "merkle": {"pos": self.merkle_pos, "branch": list(self.merkle_branch)},
            "headers": list(self.headers),
        }

    @classmethod
    def from_json(cls, data: Any, *, max_headers: int = MAX_HEADERS) -> EvidenceBundle:
        """Parse the JSON form strictly (types, hex, sizes); EvidenceFormatError says what is wrong."""
        data = _field(data, dict, "bundle")
        fmt = data.get("format", FORMAT)
        if fmt != FORMAT:
            raise EvidenceFormatError(f"format: expected {FORMAT!r}")
        merkle = _field(data.get("merkle"), dict, "merkle")
        branch = _field(merkle.get("branch"), list, "merkle.branch")
        headers = _field(data.get("headers"), list, "headers")
        if len(branch) > MAX_MERKLE_DEPTH:
            raise EvidenceFormatError(f"merkle.branch: more than {MAX_MERKLE_DEPTH} levels")
        if not 1 <= len(headers) <= max_headers:
            raise EvidenceFormatError(f"headers: 1 to {max_headers} headers expected")
        value = data.get("value_sat")
        if not isinstance(value, str) or not _DIGITS.fullmatch(value) or int(value) > MAX_SATS:
            raise EvidenceFormatError("value_sat: expected a decimal string of at most 21e14 satoshis")
        return cls(
            txid=_hex(data.get("txid"), "txid", HEX64),
            vout=_int(data.get("vout"), "vout", 2**32 - 1),
            value_sat=int(value),
            script_pubkey=_bytes_hex(data.get("script_pubkey"), "script_pubkey", MAX_SCRIPT_BYTES),
            tx_hex=_bytes_hex(data.get("tx_hex"), "tx_hex", MAX_TX_BYTES),
            block_height=_int(data.get("block_height"), "block_height", 2**31 - 1),
            merkle_pos=_int(merkle.get("pos"), "merkle.pos", 2**32 - 1),
            merkle_branch=tuple(_hex(h, f"merkle.branch[{i}]", HEX64) for i, h in enumerate(branch)),
            headers=tuple(_hex(h, f"headers[{i}]", HEADER_HEX) for i, h in enumerate(headers)),
        )


class _Tip(Protocol):
    # Read-only: frozen tips (BlockRef, EsploraBlock, the evidence job's own) satisfy it.
    @property
    def height(self) -> int: ...

    @property
    def hash(self) -> str: ...


# Header hex by height, each with the block hash it hashes to: (hash, header hex).
HeaderCache = dict[int, tuple[str, str]]


async def collect_evidence(
    client: EsploraClient,
    txid: str,
    vout: int,
    tip: _Tip,
    *,
    headers: HeaderCache | None = None,
    max_headers: int = MAX_HEADERS,
) -> EvidenceBundle:
    """Fetch the bundle of output `vout` of confirmed `txid` up to `tip` (a BlockRef or EsploraBlock).

    Headers already in `headers` are reused when their hash is the one the chain links to, and new
    ones are added to it. ChainDataError when the output is unconfirmed, above the tip, more than
    `max_headers` blocks deep, or the server's answers do not fit together (the bundle is not
    verified here: `verify_evidence` does that, against the attested tip).
    """
    tx = await client.transaction(txid)
    if not tx.status.confirmed or tx.status.height is None or tx.status.height > tip.height:
        raise ChainDataError(f"{txid}: not confirmed at or below the tip at height {tip.height}")
    if not 0 <= vout < len(tx.outputs):
        raise ChainDataError(f"{txid}: has no output {vout}")
    if tip.height - tx.status.height + 1 > max_headers:
        raise ChainDataError(f"{txid}: more than {max_headers} blocks below the tip; no bundle")
    proof = await client.merkle_proof(txid)
    if proof.block_height != tx.status.height:
        raise ChainDataError(f"{txid}: merkle proof for height {proof.block_height}, tx status says {tx.status.height}")
    tx_hex = await client.tx_hex(txid)
    chain = await header_chain(client, tx.status.height, tip, headers if headers is not None else {})
    output = tx.outputs[vout]
    return EvidenceBundle(
        txid=txid,
        vout=vout,
        value_sat=output.value_sat,
        script_pubkey=output.script_pubkey,
        # Witnesses stripped: the txid commits to every remaining byte.
        tx_hex=stripped_bytes(parse_raw_tx(bytes.fromhex(tx_hex))).hex(),
        block_height=tx.status.height,
        merkle_pos=proof.pos,
        merkle_branch=proof.merkle,
        headers=tuple(chain),
    )


async def header_chain(client: EsploraClient, start: int, tip: _Tip, cache: HeaderCache) -> list[str]:
    """Headers (hex) from height `start` to `tip`, linked by previous-hash; fills `cache`.

    Missing heights are fetched concurrently (hash by height, then header by hash; the client checks
    each header hashes to its block), then the whole run is walked down from the tip hash so that a
    reorg during the fetch surfaces as ChainDataError instead of a chain that does not link.
    """
    missing = [h for h in range(start, tip.height + 1) if h not in cache]
    for offset in range(0, len(missing), _WINDOW):
        window = missing[offset : offset + _WINDOW]
        hashes = await gather([client.block_hash_at(h) for h in window])
        texts = await gather([client.block_header(block_hash) for block_hash in hashes])
        cache.update({h: (block_hash, text) for h, block_hash, text in zip(window, hashes, texts)})
    expected = tip.hash
    chain: list[str] = []
    for height in range(tip.height, start - 1, -1):
        block_hash, text = cache[height]
        if block_hash != expected:
            del cache[height]  # stale (reorged) or never linked: refetch next time
            raise ChainDataError(f"header at height {height} is {block_hash}, the chain links to {expected}")
        chain.append(text)
        expected = bytes.fromhex(text)[4:36][::-1].hex()
    return chain[::-1]


def _field(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind):
        raise EvidenceFormatError(f"{where}: expected {kind.__name__}")
    return value


def _int(value: Any, where: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise EvidenceFormatError(f"{where}: expected an integer in [0, {maximum}]")
    return value


def _hex(value: Any, where: str, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or len(value) > 160 or not pattern.fullmatch(value):
        raise EvidenceFormatError(f"{where}: expected lowercase hex of the right length")
    return value


def _bytes_hex(value: Any, where: str, max_bytes: int) -> str:
    if not isinstance(value, str) or len(value) > 2 * max_bytes or not HEX_BYTES.fullmatch(value):
        raise EvidenceFormatError(f"{where}: expected lowercase hex of at most {max_bytes} bytes")
    return value
