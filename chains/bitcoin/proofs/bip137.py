"""BIP-137 / Bitcoin Core signmessage: compact recoverable ECDSA, accepted for P2PKH addresses only (legacy path)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from embit import hashes
from embit.ec import PrivateKey
from embit.util import secp256k1

from .message import BITCOIN_MAGIC, legacy_message_hash
from .result import INCONCLUSIVE, INVALID, LEGACY, VALID, ProofResult

COMPACT_SIZE = 65
# Header byte: 27 + recovery id, +4 for a compressed key; BIP-137 adds +8 (P2SH-P2WPKH) and +12 (P2WPKH).
HEADER_MIN, HEADER_MAX = 27, 42
KINDS = ((27, "p2pkh-uncompressed"), (31, "p2pkh"), (35, "p2sh-p2wpkh"), (39, "p2wpkh"))
LEGACY_NOTE = "BIP-137 legacy compatibility path"


class Bip137Error(ValueError):
    """Not a compact signature: wrong length or header byte."""


@dataclass(frozen=True)
class CompactSig:
    recovery_id: int
    compressed: bool
    kind: str
    rs: bytes


def is_compact(raw: bytes) -> bool:
    return len(raw) == COMPACT_SIZE and HEADER_MIN <= raw[0] <= HEADER_MAX


def decode_compact(raw: bytes) -> CompactSig:
    if len(raw) != COMPACT_SIZE:
        raise Bip137Error("invalid signature length (65 bytes expected)")
    header = raw[0]
    if not HEADER_MIN <= header <= HEADER_MAX:
        raise Bip137Error("invalid signature parameter (header byte outside 27..42)")
    base, kind = next((b, k) for b, k in reversed(KINDS) if header >= b)
    return CompactSig(header - base, kind != "p2pkh-uncompressed", kind, raw[1:])


def recover_pubkey(sig: CompactSig, digest: bytes) -> bytes | None:
    """The SEC public key that made `sig` over `digest` (compressed as the header says), None when none does."""
    try:
        recoverable = secp256k1.ecdsa_recoverable_signature_parse_compact(sig.rs, sig.recovery_id)
        point = secp256k1.ecdsa_recover(recoverable, digest)
    except ValueError:
        return None
    flag = secp256k1.EC_COMPRESSED if sig.compressed else secp256k1.EC_UNCOMPRESSED
    return secp256k1.ec_pubkey_serialize(point, flag)


def sign_compact(key: PrivateKey, digest: bytes, header_base: int = 31, extra_entropy: bytes | None = None) -> bytes:
    """A 65-byte compact signature (RFC 6979 nonce, optional extra entropy); header_base picks the key kind."""
    plain = secp256k1.ecdsa_sign(digest, key.secret, None, extra_entropy)
    rs = secp256k1.ecdsa_signature_serialize_compact(plain)
    target = PrivateKey(key.secret, compressed=header_base != 27).get_public_key().sec()
    for recovery_id in range(4):
        candidate = bytes([header_base + recovery_id]) + rs
        if recover_pubkey(decode_compact(candidate), digest) == target:
            return candidate
    raise ValueError("no recovery id reproduces the key")


def sign_legacy(key: PrivateKey, message: bytes, magic: bytes = BITCOIN_MAGIC) -> str:
    """Base64 BIP-137 signature for the key's P2PKH address (compressed or not, as the key says)."""
    header_base = 31 if key.compressed else 27
    return base64.b64encode(sign_compact(key, legacy_message_hash(message, magic), header_base)).decode()


def verify_legacy(address: str, challenge: bytes, message: bytes, raw: bytes) -> ProofResult:
    """Outcome of a compact signature: valid for a matching P2PKH address, inconclusive for a segwit key match."""

    def result(outcome: str, detail: str, signers: tuple[str, ...] = ()) -> ProofResult:
        return ProofResult(outcome=outcome, variant=LEGACY, address=address, signers=signers, detail=detail)

    try:
        sig = decode_compact(raw)
    except Bip137Error as exc:
        return result(INVALID, f"{LEGACY_NOTE}: {exc}")
    pubkey = recover_pubkey(sig, legacy_message_hash(message))
    if pubkey is None:
        return result(INVALID, f"{LEGACY_NOTE}: invalid signature (no public key recovers)")
    key_hash = hashes.hash160(pubkey)
    if len(challenge) == 25 and challenge[:3] == b"\x76\xa9\x14":
        if sig.kind not in ("p2pkh", "p2pkh-uncompressed"):
            return result(INVALID, f"{LEGACY_NOTE}: header byte marks a {sig.kind} signature, not P2PKH")
        if key_hash != challenge[3:23]:
            return result(INVALID, f"{LEGACY_NOTE}: invalid signature (recovered key does not match the address)")
        return result(VALID, f"signature valid ({LEGACY_NOTE}, P2PKH only)", (pubkey.hex(),))
    segwit_match = sig.compressed and (
        challenge == b"\x00\x14" + key_hash
        or challenge == b"\xa9\x14" + hashes.hash160(b"\x00\x14" + key_hash) + b"\x87"
    )
    if segwit_match:
        return result(
            INCONCLUSIVE,
            f"{LEGACY_NOTE}: the key matches this address, but legacy signatures are accepted for P2PKH addresses "
            "only; sign with BIP-322 instead",
            (pubkey.hex(),),
        )
    return result(INVALID, f"{LEGACY_NOTE}: invalid signature (recovered key does not match the address)")
