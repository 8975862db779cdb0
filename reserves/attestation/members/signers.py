"""The `signers` member (format 4) and its signatures: engine key, EIP-712 address, key rotation; built, signed,
checked alone and along a chain.

`signers` sits inside the signed body, so who must sign is itself attested:
- `engine`: the BIP-340 key that makes this attestation;
- `eip712`: the address of the engine's EIP-712 key (derived from the engine key);
- `guardians`: M-of-N BIP-340 keys that co-sign offline (members/guardians.py);
- `rotation`: on the attestation that introduces a new engine key, the key it replaces, which
  signs this one too, so trust passes from old to new without a gap.
"""

from __future__ import annotations

from typing import Any

from reserves.attestation import eip712
from reserves.attestation.canonical import attestation_id
from reserves.attestation.keys import SigningKey
from reserves.attestation.members import guardians as guardians_
from reserves.attestation.members.guardians import Add, GuardianSet, Options, valid_bip340
from reserves.attestation.members.signatures import require_problem, signed_by, trusted_map
from reserves.errors import InvalidInput, SigningKeyError


def key_ref(key: SigningKey) -> dict:
    return {"key_id": key.key_id, "pubkey": key.pubkey_hex}


def signers_json(
    engine: SigningKey,
    guardians: GuardianSet | None,
    rotation_from: SigningKey | None = None,
    rotation_reason: str | None = None,
) -> dict:
    if rotation_from is not None and rotation_from.pubkey_hex == engine.pubkey_hex:
        raise SigningKeyError("a rotation needs a new key: the old and new engine keys are the same")
    if guardians is not None and engine.pubkey_hex in guardians.pubkeys:
        raise SigningKeyError("the engine key cannot also be a guardian key")
    if guardians is not None and rotation_from is not None and rotation_from.pubkey_hex in guardians.pubkeys:
        raise SigningKeyError("the replaced engine key cannot be a guardian key")
    rotation = None
    if rotation_from is not None:
        rotation = {"from": key_ref(rotation_from), "reason": (rotation_reason or "engine key rotation")[:500]}
    return {
        "engine": key_ref(engine),
        "eip712": {"address": engine.evm_address},
        "guardians": None if guardians is None else guardians.to_json(),
        "rotation": rotation,
    }


def build(inputs, body: dict) -> None:
    """signers from `inputs.engine`, `inputs.guardians`, `inputs.rotation_from` and `inputs.rotation_reason`."""
    if inputs.engine is None:
        raise SigningKeyError("an engine key is needed")
    body["signers"] = signers_json(inputs.engine, inputs.guardians, inputs.rotation_from, inputs.rotation_reason)


def sign(body: dict, att_id: str, engine: SigningKey, rotation_from: SigningKey | None = None) -> dict:
    """The signed document: engine BIP-340, the replaced key's BIP-340 on a rotation, and the
    engine's EIP-712 signature, all over attestation `att_id` (the id of `body`, as the builder
    computed it: the body is not canonicalised again). Guardians add theirs later (stored apart,
    appended when served)."""
    if "signatures" in body:
        raise InvalidInput("sign() takes a body, not a signed document")
    if body["signers"]["engine"]["pubkey"] != engine.pubkey_hex:
        raise SigningKeyError("the body names another engine key than the one signing it")
    keys = [engine] + ([rotation_from] if rotation_from is not None else [])
    message = bytes.fromhex(att_id)
    signatures = [
        {"alg": "bip340", "key_id": k.key_id, "pubkey": k.pubkey_hex, "sig": k.sign_digest(message).hex()} for k in keys
    ]
    signatures.append(
        {
            "alg": "eip712",
            "key_id": engine.key_id,
            "address": engine.evm_address,
            "sig": engine.sign_eip712(eip712.signable(att_id, body)),
        }
    )
    return {**body, "signatures": signatures}


def engine_keys(doc: dict) -> set[str]:
    """The engine key a body names in `signers`; for older formats (no `signers`), every key that signed it."""
    if "signers" in doc:
        return {doc["signers"]["engine"]["pubkey"]}
    return signed_by(doc)


def rotation_introduces(doc: dict, trusted: dict[str, str]) -> str | None:
    """The new engine key a rotation hands trust to, when its replaced key is trusted and signed
    it validly; None otherwise."""
    if doc["signers"]["rotation"] is None:
        return None
    old = doc["signers"]["rotation"]["from"]["pubkey"]
    if old not in trusted:
        return None
    digest32 = bytes.fromhex(attestation_id(doc))
    if any(s.get("pubkey") == old and valid_bip340(s, digest32) for s in doc["signatures"]):
        return doc["signers"]["engine"]["pubkey"]
    return None


def _entries(doc: dict, att_id: str, guardians: GuardianSet | None, add: Add) -> set[str]:
    """signature[i] of every entry; the pubkeys of valid BIP-340 signatures by keys the body names."""
    signers = doc["signers"]
    engine, rotation = signers["engine"]["pubkey"], signers["rotation"]
    old = None if rotation is None else rotation["from"]["pubkey"]
    digest32, valid_keys = bytes.fromhex(att_id), set()
    for i, entry in enumerate(doc["signatures"]):
        if entry["alg"] == "eip712":
            got = eip712.recover(att_id, doc, entry["sig"])
            want = (signers["eip712"] or {}).get("address")
            ok = got is not None and got == entry["address"] == want
            add(
                f"signature[{i}]",
                ok,
                f"{entry['key_id']}: EIP-712 " + (f"by {got}" if ok else f"recovers {got}, signers.eip712 says {want}"),
            )
            continue
        pubkey = entry["pubkey"]
        role = (
            "engine"
            if pubkey == engine
            else "replaced engine key"
            if pubkey == old
            else "guardian"
            if guardians is not None and pubkey in guardians.pubkeys
            else None
        )
        valid = valid_bip340(entry, digest32)
        if role is None:
            # A valid signature of a key the body does not name adds nothing and harms nothing (a
            # guardian of the set before co-signs a set change); an invalid one is a fault.
            add(
                f"signature[{i}]",
                valid,
                f"{entry['key_id']}: pubkey {pubkey[:16]}… is no signer this body "
                "names"
                + (
                    " (valid BIP-340; counted only by the chain's guardian check)"
                    if valid
                    else ": invalid BIP-340 signature"
                ),
            )
            continue
        add(
            f"signature[{i}]",
            valid,
            f"{entry['key_id']} ({role}): " + ("valid BIP-340" if valid else "invalid BIP-340 signature"),
        )
        if valid:
            valid_keys.add(pubkey)
    return valid_keys


def _trust(trusted, engine: str, old: str | None, valid_keys: set[str], require: int, add: Add) -> None:
    if isinstance(trusted, str):
        add("trusted", False, trusted)
        return
    anchors = [k for k in (engine, old) if k is not None and k in trusted and k in valid_keys]
    if anchors:
        via = "the engine key" if anchors[0] == engine else "the replaced key (a rotation it signed)"
        add("trusted", True, f"signed by {via}, trusted as {trusted[anchors[0]]}")
    else:
        add("trusted", False, f"neither the engine key {engine} nor a replaced key is a trusted key")
    problem = require_problem(require)
    if problem:
        add("signatures", False, problem)
        return
    n = len(anchors)
    add("signatures", n >= require, f"{n} distinct trusted valid signer(s), {require} required")


def check(doc: dict, att_id: str, trusted_keys: Any, require: int, options: Options, add: Add) -> None:
    """Every signature valid and expected, the engine (and a rotation's old key) signed, the
    engine's key trusted, the EIP-712 signature recovering to `signers.eip712`, the guardians' tally."""
    trusted = trusted_map(trusted_keys)
    signers = doc["signers"]
    engine, rotation = signers["engine"]["pubkey"], signers["rotation"]
    old = None if rotation is None else rotation["from"]["pubkey"]
    guardians = guardians_.check_declared(signers, add)
    valid_keys = _entries(doc, att_id, guardians, add)
    add(
        "engine",
        engine in valid_keys,
        f"engine key {engine[:16]}… " + ("signed" if engine in valid_keys else "did not sign validly"),
    )
    if old is not None:
        add(
            "rotation",
            old in valid_keys and old != engine,
            f"replaced key {old[:16]}… " + ("signed the rotation" if old in valid_keys else "did not sign"),
        )
    if signers["eip712"] is not None:
        found = any(e["alg"] == "eip712" for e in doc["signatures"])
        add(
            "eip712",
            found,
            "EIP-712 signature present" if found else "signers.eip712 is set but no EIP-712 signature is present",
        )
    _trust(trusted, engine, old, valid_keys, require, add)
    guardians_.check_tally(doc, att_id, guardians, options, add)


def chain_check(run: list[dict], b: dict, allow_pending: bool) -> tuple[list[str], list[str]]:
    """The engine key of `b` is the one before it (`run[0]`'s), or a rotation names that one as replaced."""
    if not run:
        return [], []
    seq, before = b["sequence"], engine_keys(run[0])
    engine, rotation = b["signers"]["engine"]["pubkey"], b["signers"]["rotation"]
    if rotation is not None and rotation["from"]["pubkey"] not in before:
        return [
            f"sequence {seq}: the rotation replaces {rotation['from']['pubkey'][:16]}…, "
            "which did not make the attestation before"
        ], []
    if rotation is None and engine not in before:
        return [f"sequence {seq}: engine key {engine[:16]}… differs from the one before without a rotation"], []
    return [], []
