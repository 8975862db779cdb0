"""Signature checks as Bitcoin Core's standard script flags apply them: strict DER, low S, SIGHASH_ALL, key encoding."""

from __future__ import annotations

from embit import hashes
from embit.ec import PublicKey
from embit.util import secp256k1

from .codec import compact_size

SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SIGHASH_DEFAULT = 0x00
SIGHASH_ALL = 0x01


class ScriptFailure(Exception):
    """The script cannot succeed: a required BIP-322 rule or a consensus rule is broken (outcome invalid)."""


def is_strict_der(sig: bytes) -> bool:
    """BIP-66 IsValidSignatureEncoding over DER signature + one hash-type byte."""
    size = len(sig)
    if size < 9 or size > 73 or sig[0] != 0x30 or sig[1] != size - 3:
        return False
    len_r = sig[3]
    if 5 + len_r >= size:
        return False
    len_s = sig[5 + len_r]
    if len_r + len_s + 7 != size:
        return False
    if sig[2] != 0x02 or len_r == 0 or sig[4] & 0x80:
        return False
    if len_r > 1 and sig[4] == 0 and not sig[5] & 0x80:
        return False
    if sig[len_r + 4] != 0x02 or len_s == 0 or sig[len_r + 6] & 0x80:
        return False
    return not (len_s > 1 and sig[len_r + 6] == 0 and not sig[len_r + 7] & 0x80)


def _s_value(sig: bytes) -> int:
    len_r = sig[3]
    len_s = sig[5 + len_r]
    return int.from_bytes(sig[6 + len_r : 6 + len_r + len_s], "big")


def check_pubkey_encoding(pubkey: bytes, segwit: bool) -> None:
    """STRICTENC (and WITNESS_PUBKEYTYPE for segwit v0: compressed keys only)."""
    compressed = len(pubkey) == 33 and pubkey[0] in (2, 3)
    uncompressed = len(pubkey) == 65 and pubkey[0] == 4
    if segwit and not compressed:
        raise ScriptFailure("segwit v0 requires compressed public keys")
    if not (compressed or uncompressed):
        raise ScriptFailure("public key is not a valid SEC encoding")


def ecdsa_check(sig: bytes, pubkey: bytes, digest_for, segwit: bool) -> bool:
    """True when `sig` (DER + hash type) signs `digest_for(hash_type)` under `pubkey`.

    False for an empty signature or one that simply does not verify (NULLFAIL allows only the empty one to
    fail without error, and our templates fail anyway); ScriptFailure for encodings a standard node rejects.
    """
    if not sig:
        return False
    check_pubkey_encoding(pubkey, segwit)
    if not is_strict_der(sig):
        raise ScriptFailure("ECDSA signature is not strict DER")
    if sig[-1] != SIGHASH_ALL:
        raise ScriptFailure("signature does not use SIGHASH_ALL")
    if _s_value(sig) > SECP256K1_ORDER // 2:
        raise ScriptFailure("ECDSA signature has a high S value (LOW_S)")
    try:
        parsed = secp256k1.ecdsa_signature_parse_der(sig[:-1])
        point = secp256k1.ec_pubkey_parse(pubkey)
    except ValueError:
        return False  # a key off the curve or r/s out of range: it does not verify
    return secp256k1.ecdsa_verify(parsed, digest_for(SIGHASH_ALL), point)


def schnorr_check(sig: bytes, xonly: bytes, digest_for) -> bool:
    """BIP-341 key-path signature: 64 bytes (SIGHASH_DEFAULT) or 65 with SIGHASH_ALL; other types are errors."""
    if len(sig) == 64:
        hash_type = SIGHASH_DEFAULT
    elif len(sig) == 65 and sig[64] == SIGHASH_ALL:
        hash_type = SIGHASH_ALL
    elif len(sig) == 65:
        raise ScriptFailure("taproot signature must use SIGHASH_DEFAULT or SIGHASH_ALL")
    else:
        raise ScriptFailure("taproot signature must be 64 or 65 bytes")
    try:
        key = PublicKey.from_xonly(xonly)
    except Exception:  # noqa: BLE001 - embit raises ECError or AssertionError for a point not on the curve
        return False
    return secp256k1.schnorrsig_verify(sig[:64], digest_for(hash_type), key._xonly())


def taproot_commits(program: bytes, script: bytes, control: bytes) -> bool:
    """BIP-341: does the control block plus leaf script open to the output key `program`?"""
    if len(control) < 33 or (len(control) - 33) % 32 or (len(control) - 33) // 32 > 128:
        return False
    leaf = hashes.tagged_hash("TapLeaf", bytes([control[0] & 0xFE]) + compact_size(len(script)) + script)
    for i in range(33, len(control), 32):
        node = control[i : i + 32]
        leaf = hashes.tagged_hash("TapBranch", min(leaf, node) + max(leaf, node))
    internal = control[1:33]
    tweak = hashes.tagged_hash("TapTweak", internal + leaf)
    try:
        point = PublicKey.from_xonly(internal)._point
        tweaked = secp256k1.ec_pubkey_combine(point, secp256k1.ec_pubkey_create(tweak))
        sec = secp256k1.ec_pubkey_serialize(tweaked, secp256k1.EC_COMPRESSED)
    except Exception:  # noqa: BLE001 - invalid internal key or tweak beyond the group order
        return False
    return sec[1:] == program and (sec[0] == 3) == bool(control[0] & 1)
