"""Format 4's `signers` member and signatures: engine key, EIP-712 address, guardian set, key rotation.

`signers` sits inside the signed body, so who must sign is itself attested:
- `engine`: the BIP-340 key that makes this attestation;
- `eip712`: the address of the engine's EIP-712 key (derived from the engine key);
- `guardians`: M-of-N BIP-340 keys that co-sign offline; the attestation is *final* at M valid
  guardian signatures (and, when the set changed, M_old of the set before), *pending* until then;
- `rotation`: on the attestation that introduces a new engine key, the key it replaces, which
  signs this one too, so trust passes from old to new without a gap.
"""

from __future__ import annotations

from dataclasses import dataclass

from reserves.attestation import eip712
from reserves.attestation.canonical import attestation_id, digest
from reserves.attestation.keys import SigningKey, is_xonly_pubkey, verify_bip340
from reserves.errors import InvalidInput, SigningKeyError

MAX_GUARDIANS = 32


def bip340_point_ok(pubkey_hex: str) -> bool:
    """True when `pubkey_hex` is 64 lowercase hex digits naming a point on the curve."""
    return is_xonly_pubkey(pubkey_hex)


@dataclass(frozen=True)
class GuardianSet:
    """M of N guardian keys: `keys` is ((key_id, x-only pubkey hex), ...) in declared order."""

    threshold: int
    keys: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        n = len(self.keys)
        if not 1 <= n <= MAX_GUARDIANS:
            raise InvalidInput(f"guardians: from 1 to {MAX_GUARDIANS} keys")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int) or not 1 <= self.threshold <= n:
            raise InvalidInput(f"guardians.threshold: must be from 1 to the number of keys ({n}), got {self.threshold}")
        ids = [k for k, _ in self.keys]
        pubkeys = [p for _, p in self.keys]
        if len(set(ids)) != n:
            raise InvalidInput("guardians: key_id values must be unique")
        if len(set(pubkeys)) != n:
            raise InvalidInput("guardians: the same pubkey is listed twice")
        bad = [k for k, p in self.keys if not bip340_point_ok(p)]
        if bad:
            raise InvalidInput(f"guardians: key {bad[0]!r} is not a BIP-340 x-only public key (64 lowercase hex)")

    def to_json(self) -> dict:
        return {"threshold": self.threshold, "keys": [{"key_id": k, "pubkey": p} for k, p in self.keys]}

    @classmethod
    def from_json(cls, value: dict | None) -> "GuardianSet | None":
        if value is None:
            return None
        return cls(value["threshold"], tuple((k["key_id"], k["pubkey"]) for k in value["keys"]))

    @property
    def pubkeys(self) -> dict[str, str]:
        return {p: k for k, p in self.keys}


def key_ref(key: SigningKey) -> dict:
    return {"key_id": key.key_id, "pubkey": key.pubkey_hex}


def signers_json(engine: SigningKey, guardians: GuardianSet | None, rotation_from: SigningKey | None = None,
                 rotation_reason: str | None = None) -> dict:
    if rotation_from is not None and rotation_from.pubkey_hex == engine.pubkey_hex:
        raise SigningKeyError("a rotation needs a new key: the old and new engine keys are the same")
    if guardians is not None and engine.pubkey_hex in guardians.pubkeys:
        raise SigningKeyError("the engine key cannot also be a guardian key")
    if guardians is not None and rotation_from is not None and rotation_from.pubkey_hex in guardians.pubkeys:
        raise SigningKeyError("the replaced engine key cannot be a guardian key")
    rotation = None
    if rotation_from is not None:
        rotation = {"from": key_ref(rotation_from), "reason": (rotation_reason or "engine key rotation")[:500]}
    return {"engine": key_ref(engine), "eip712": {"address": engine.evm_address},
            "guardians": None if guardians is None else guardians.to_json(), "rotation": rotation}


def sign_v4(body: dict, engine: SigningKey, rotation_from: SigningKey | None = None) -> dict:
    """The signed format 4 document: engine BIP-340, the replaced key's BIP-340 on a rotation, and
    the engine's EIP-712 signature. Guardians add theirs later (stored apart, appended when served)."""
    if "signatures" in body:
        raise InvalidInput("sign_v4() takes a body, not a signed document")
    signers = body["signers"]
    if signers["engine"]["pubkey"] != engine.pubkey_hex:
        raise SigningKeyError("the body names another engine key than the one signing it")
    keys = [engine] + ([rotation_from] if rotation_from is not None else [])
    message = digest(body)
    signatures = [{"alg": "bip340", "key_id": k.key_id, "pubkey": k.pubkey_hex, "sig": k.sign_digest(message).hex()}
                  for k in keys]
    att_id = attestation_id(body)
    signatures.append({"alg": "eip712", "key_id": engine.key_id, "address": engine.evm_address,
                       "sig": engine.sign_eip712(eip712.signable(att_id, body))})
    return {**body, "signatures": signatures}


def guardian_signature(key: SigningKey, att_id: str) -> dict:
    """A guardian's signature entry over attestation `att_id` (BIP-340 over the 32 id bytes)."""
    return {"alg": "bip340", "key_id": key.key_id, "pubkey": key.pubkey_hex,
            "sig": key.sign_digest(bytes.fromhex(att_id)).hex()}


def valid_bip340(entry: dict, digest32: bytes) -> bool:
    try:
        return entry.get("alg") == "bip340" and verify_bip340(bytes.fromhex(entry["pubkey"]), digest32,
                                                              bytes.fromhex(entry["sig"]))
    except (KeyError, TypeError, ValueError):
        return False


def guardian_tally(document: dict, att_id: str, guardians: GuardianSet | None) -> list[str]:
    """Key ids of the distinct guardians of `guardians` with a valid signature in `document`."""
    return [] if guardians is None else tally_keys(document, att_id, guardians.keys)


def tally_keys(document: dict, att_id: str, keys) -> list[str]:
    """Key ids of the distinct (key_id, pubkey) `keys` with a valid BIP-340 signature in `document`."""
    digest32, members, seen = bytes.fromhex(att_id), {p: k for k, p in keys}, []
    for entry in document.get("signatures", []):
        pubkey = entry.get("pubkey")
        if pubkey in members and members[pubkey] not in seen and valid_bip340(entry, digest32):
            seen.append(members[pubkey])
    return seen


def is_final(document: dict, att_id: str, previous_guardians: GuardianSet | None) -> bool:
    """Final: M valid signatures of the declared set and, when that set differs from the one before
    (`previous_guardians`: added, changed or removed), M_old of the set before as well. Without a
    set before or now, the engine's signature makes it final."""
    current = GuardianSet.from_json(document["signers"]["guardians"])
    if current is not None and len(guardian_tally(document, att_id, current)) < current.threshold:
        return False
    if previous_guardians is not None and previous_guardians != current:
        return len(guardian_tally(document, att_id, previous_guardians)) >= previous_guardians.threshold
    return True
