"""The `signatures` of formats 1 to 3: one BIP-340 signature per listed key over the body's digest; signed, checked
against trusted keys.

Those formats do not say inside the body who must sign: any listed key may, and the verifier's
trusted keys decide which count. Format 4 names its signers in the body (members/signers.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reserves.attestation.canonical import digest
from reserves.attestation.keys import SigningKey, verify_bip340_hex
from reserves.errors import InvalidInput, SigningKeyError

Add = Callable[[str, bool, str], bool]  # a report's `add(name, ok, detail)`


def sign(body: dict, keys: list[SigningKey]) -> dict:
    """The signed document: body + `signatures`, one BIP-340 entry per key over sha256(JCS(body))."""
    if not keys:
        raise SigningKeyError("at least one signing key is needed")
    if len({k.pubkey_hex for k in keys}) != len(keys):
        raise SigningKeyError("the same key is given twice")
    if "signatures" in body:
        raise InvalidInput("sign() takes a body, not a signed document")
    message = digest(body)
    signatures = [
        {"alg": "bip340", "key_id": k.key_id, "pubkey": k.pubkey_hex, "sig": k.sign_digest(message).hex()} for k in keys
    ]
    return {**body, "signatures": signatures}


def trusted_map(trusted_keys: Any) -> dict[str, str] | str:
    """Lowercased {pubkey hex: key_id}, or the reason the given trust anchors are unusable."""
    if trusted_keys is None:
        return "no trusted keys given"
    if not isinstance(trusted_keys, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in trusted_keys.items()
    ):
        return "trusted keys must map x-only pubkey hex to key_id"
    return {k.lower(): v for k, v in trusted_keys.items()}


def require_problem(require: object) -> str | None:
    """Why `require_signatures` is unusable (None when it is an integer >= 1)."""
    if isinstance(require, bool) or not isinstance(require, int) or require < 1:
        return "require_signatures must be an integer >= 1"
    return None


def check(document: dict, att_id: str, trusted_keys: Any, require: int, options: Any, add: Add) -> None:
    """signature[i], trusted[i] and signatures: every signature valid, at least `require` distinct
    trusted keys among the valid ones. (`options` concern format 4's guardians only.)"""
    digest32 = bytes.fromhex(att_id)
    trusted = trusted_map(trusted_keys)
    if isinstance(trusted, str):
        add("trusted", False, trusted)
    good_trusted = set()
    for i, entry in enumerate(document["signatures"]):
        valid = verify_bip340_hex(entry["pubkey"], digest32, entry["sig"])
        add(
            f"signature[{i}]",
            valid,
            f"{entry['key_id']}: " + ("valid BIP-340" if valid else "invalid BIP-340 signature"),
        )
        if isinstance(trusted, str):
            continue
        label = trusted.get(entry["pubkey"])
        if label is None:
            add(f"trusted[{i}]", False, f"pubkey {entry['pubkey']} is not a trusted key")
            continue
        # key_id sits outside the signed body: it is a label, the pubkey is the identity, so a
        # different label is worth showing but proves nothing either way.
        note = "" if label == entry["key_id"] else f" (the signature calls it {entry['key_id'][:64]})"
        add(f"trusted[{i}]", True, f"trusted key {label}{note}")
        if valid:
            good_trusted.add(entry["pubkey"])
    problem = require_problem(require)
    if problem:
        add("signatures", False, problem)
        return
    n = len(good_trusted)
    add("signatures", n >= require, f"{n} distinct trusted valid signer(s), {require} required")


def signed_by(document: dict) -> set[str]:
    """Every BIP-340 key that signed a formats 1 to 3 document: its engine keys, as far as a chain can tell."""
    return {s["pubkey"] for s in document["signatures"] if s.get("alg") == "bip340"}
