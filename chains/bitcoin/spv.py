"""SPV checks: 80-byte headers, proof of work, linkage, merkle branches, and evidence bundle verification."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median
from typing import Any

from chains.bitcoin.esplora.evidence_bundle import MAX_HEADERS, EvidenceBundle, EvidenceFormatError, collect_evidence
from chains.bitcoin.esplora.tx import parse_raw_tx, sha256d, stripped_bytes
from chains.errors import ChainDataError

__all__ = [
    "EvidenceBundle",
    "EvidenceResult",
    "Header",
    "NETWORKS",
    "SpvError",
    "bits_to_target",
    "check_headers",
    "collect_evidence",
    "merkle_root_from_branch",
    "verify_evidence",
]

RETARGET_INTERVAL = 2016
MTP_WINDOW = 11


@dataclass(frozen=True)
class PowRules:
    """What a header chain of a network must satisfy. `retarget`: bits change only every 2016 blocks,
    by at most a factor of 4; `min_difficulty`: testnet's 20-minute rule lets any block drop to the
    pow limit, so bits are not checked between headers there."""

    pow_limit: int
    retarget: bool
    min_difficulty: bool


# Bitcoin Core chainparams: consensus.powLimit, fPowNoRetargeting, fPowAllowMinDifficultyBlocks.
NETWORKS = {
    "main": PowRules((1 << 224) - 1, retarget=True, min_difficulty=False),
    "test": PowRules((1 << 224) - 1, retarget=True, min_difficulty=True),
    "signet": PowRules(0x00000377AE << 216, retarget=True, min_difficulty=False),
    "regtest": PowRules((1 << 255) - 1, retarget=False, min_difficulty=False),
}


class SpvError(ValueError):
    """One check failed; `reason` is a stable machine-readable code, `detail` says where and why."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Header:
    """A parsed 80-byte header; `prev`/`merkle` in internal byte order, `hash` in display hex."""

    version: int
    prev: bytes
    merkle: bytes
    time: int
    bits: int
    nonce: int
    hash: str

    @classmethod
    def parse(cls, raw: bytes) -> Header:
        if len(raw) != 80:
            raise SpvError("malformed", f"a header is 80 bytes, got {len(raw)}")
        version, time, bits, nonce = (
            int.from_bytes(raw[a:b], "little") for a, b in ((0, 4), (68, 72), (72, 76), (76, 80))
        )
        return cls(version, raw[4:36], raw[36:68], time, bits, nonce, sha256d(raw)[::-1].hex())

    @property
    def prev_hash(self) -> str:
        return self.prev[::-1].hex()


def bits_to_target(bits: int) -> int:
    """Target of compact `bits`; SpvError for the encodings Bitcoin Core rejects (negative, zero, overflow)."""
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if bits & 0x00800000 and mantissa:
        raise SpvError("bad_bits", f"bits {bits:#010x} encode a negative target")
    target = mantissa << (8 * (exponent - 3)) if exponent > 3 else mantissa >> (8 * (3 - exponent))
    if target == 0:
        raise SpvError("bad_bits", f"bits {bits:#010x} encode a zero target")
    if target >= 1 << 256:
        raise SpvError("bad_bits", f"bits {bits:#010x} overflow 256 bits")
    return target


def check_pow(header: Header, rules: PowRules) -> int:
    """The header's work (2**256 // (target + 1)) once its hash meets its own target under the limit."""
    target = bits_to_target(header.bits)
    if target > rules.pow_limit:
        raise SpvError("bad_bits", f"block {header.hash}: target above the network's proof-of-work limit")
    if int(header.hash, 16) > target:
        raise SpvError("bad_pow", f"block {header.hash}: hash above its target")
    return (1 << 256) // (target + 1)


def check_headers(raw_headers: list[bytes], first_height: int, network: str) -> tuple[list[Header], int]:
    """Parse and check a run of consecutive headers starting at `first_height`; (headers, total work).

    Each: proof of work under its bits and the network limit; each after the first links to the one
    before by previous-hash. With `retarget` (main, signet): bits change only at multiples of 2016, and
    then by at most a factor of 4; with timestamps: each above the median of the 11 before it, when the
    run holds 11 before it. Testnet skips the bits checks (min-difficulty blocks).
    """
    rules = NETWORKS.get(network)
    if rules is None:
        raise SpvError("malformed", f"unknown network {network!r}")
    headers: list[Header] = []
    work = 0
    for offset, raw in enumerate(raw_headers):
        header = Header.parse(raw)
        work += check_pow(header, rules)
        if headers:
            _check_link(headers[-1], header, first_height + offset, rules)
        if len(headers) >= MTP_WINDOW and header.time <= median(h.time for h in headers[-MTP_WINDOW:]):
            raise SpvError("bad_time", f"block {header.hash}: time not above the median of the 11 before it")
        headers.append(header)
    return headers, work


def _check_link(previous: Header, header: Header, height: int, rules: PowRules) -> None:
    if header.prev_hash != previous.hash:
        raise SpvError("broken_link", f"header at height {height} does not link to block {previous.hash}")
    if not rules.retarget or rules.min_difficulty or header.bits == previous.bits:
        return
    if height % RETARGET_INTERVAL:
        raise SpvError("bad_bits", f"bits change at height {height}, inside a 2016-block period")
    old, new = bits_to_target(previous.bits), bits_to_target(header.bits)
    if not old // 4 <= new <= old * 4:
        raise SpvError("bad_bits", f"retarget at height {height} by more than a factor of 4")


def merkle_root_from_branch(txid: str, pos: int, branch: tuple[str, ...]) -> bytes:
    """Root (internal order) reached from `txid` at `pos` through `branch` (display hex, leaf to root)."""
    if pos >> len(branch):
        raise SpvError("merkle_mismatch", f"position {pos} does not fit a branch of {len(branch)} levels")
    node = bytes.fromhex(txid)[::-1]
    for level, sibling_hex in enumerate(branch):
        sibling = bytes.fromhex(sibling_hex)[::-1]
        node = sha256d(sibling + node) if (pos >> level) & 1 else sha256d(node + sibling)
    return node


def check_transaction(bundle: EvidenceBundle) -> None:
    """tx_hex is the witness-stripped transaction hashing to txid, no 64-byte forgery, with the claimed output.

    Witnesses are refused: the txid does not commit to them, so bytes a verifier cannot check have no
    place in evidence.
    """
    raw = bytes.fromhex(bundle.tx_hex)
    try:
        tx = parse_raw_tx(raw)
    except ChainDataError as exc:
        raise SpvError("bad_tx", f"tx_hex: {exc.detail}") from exc
    stripped = stripped_bytes(tx)
    if stripped != raw:
        raise SpvError("bad_tx", "tx_hex must be the canonical serialization without witnesses")
    if sha256d(raw)[::-1].hex() != bundle.txid:
        raise SpvError("tx_mismatch", f"tx_hex hashes to {sha256d(raw)[::-1].hex()}, not {bundle.txid}")
    # A 64-byte transaction could be an inner merkle node in disguise (CVE-2017-12842).
    if len(raw) == 64:
        raise SpvError("bad_tx", "a 64-byte transaction is ambiguous with a merkle node")
    if bundle.vout >= len(tx.vout):
        raise SpvError("output_mismatch", f"transaction has no output {bundle.vout}")
    out = tx.vout[bundle.vout]
    if out.value != bundle.value_sat or out.script_pubkey.data.hex() != bundle.script_pubkey:
        raise SpvError("output_mismatch", f"output {bundle.vout} differs from the claimed value or script")


@dataclass(frozen=True)
class EvidenceResult:
    """Outcome of verifying one bundle. `reason` is "ok" or a failure code; `detail` is for people."""

    valid: bool
    reason: str
    detail: str
    txid: str | None = None
    vout: int | None = None
    value_sat: int | None = None
    block_height: int | None = None
    block_hash: str | None = None
    tip_height: int | None = None
    tip_hash: str | None = None
    confirmations: int | None = None
    chain_work: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for key in ("value_sat", "chain_work"):
            data[key] = None if data[key] is None else str(data[key])
        return data


def verify_evidence(
    bundle: EvidenceBundle | dict, tip_hash: str, network: str, *, max_headers: int = MAX_HEADERS
) -> EvidenceResult:
    """Check a bundle (or its JSON form) against the attested tip `tip_hash`; never raises on bad input.

    Valid means: the transaction hashes to its txid and has the claimed output; the merkle branch
    leads from it to the merkle root of the first header; the headers link, each with valid proof of
    work for `network`, and the last one is `tip_hash`. It does not say `tip_hash` is in the best
    chain: check that against a node you trust (the attestation's valid_at block).
    """
    try:
        if not isinstance(bundle, EvidenceBundle):
            bundle = EvidenceBundle.from_json(bundle, max_headers=max_headers)
        if len(bundle.headers) > max_headers:
            raise SpvError("too_large", f"more than {max_headers} headers")
        check_transaction(bundle)
        headers, work = check_headers([bytes.fromhex(h) for h in bundle.headers], bundle.block_height, network)
        if merkle_root_from_branch(bundle.txid, bundle.merkle_pos, bundle.merkle_branch) != headers[0].merkle:
            raise SpvError("merkle_mismatch", "the merkle branch does not lead to the block's merkle root")
        if headers[-1].hash != tip_hash:
            raise SpvError("tip_mismatch", f"headers end at {headers[-1].hash}, not the attested tip {tip_hash}")
    except EvidenceFormatError as exc:
        return EvidenceResult(False, "malformed", exc.detail)
    except SpvError as exc:
        return EvidenceResult(False, exc.reason, exc.detail, txid=bundle.txid, vout=bundle.vout)  # type: ignore[union-attr]  # parsed before any SpvError
    return EvidenceResult(
        True,
        "ok",
        f"output {bundle.vout} of {bundle.txid} is in block {headers[0].hash}, {len(headers)} "
        f"confirmations up to {tip_hash}",
        txid=bundle.txid,
        vout=bundle.vout,
        value_sat=bundle.value_sat,
        block_height=bundle.block_height,
        block_hash=headers[0].hash,
        tip_height=bundle.tip_height,
        tip_hash=tip_hash,
        confirmations=len(headers),
        chain_work=work,
    )
