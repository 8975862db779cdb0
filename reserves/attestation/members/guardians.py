"""The guardian set in `signers.guardians` (format 4): M-of-N keys that co-sign offline, their tally, finality;
checked alone and along a chain.

An attestation is *final* at M valid guardian signatures (and, when the set changed, M_old of the
set before), *pending* until then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reserves.attestation.canonical import attestation_id
from reserves.attestation.keys import SigningKey, is_xonly_pubkey, verify_bip340
from reserves.errors import InvalidInput

MAX_GUARDIANS = 32
Add = Callable[[str, bool, str], bool]  # a report's `add(name, ok, detail)`


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
        bad = [k for k, p in self.keys if not is_xonly_pubkey(p)]
        if bad:
            raise InvalidInput(f"guardians: key {bad[0]!r} is not a BIP-340 x-only public key (64 lowercase hex)")

    def to_json(self) -> dict:
        return {"threshold": self.threshold, "keys": [{"key_id": k, "pubkey": p} for k, p in self.keys]}

    @classmethod
    def from_json(cls, value: dict | None) -> GuardianSet | None:
        if value is None:
            return None
        return cls(value["threshold"], tuple((k["key_id"], k["pubkey"]) for k in value["keys"]))

    @property
    def pubkeys(self) -> dict[str, str]:
        return {p: k for k, p in self.keys}


@dataclass(frozen=True)
class Options:
    """How strict a verification is about guardians.

    `allow_pending`: a pending attestation (fewer guardian signatures than the threshold) passes
    the guardian check with a note instead of failing it. `guardian_pins`: x-only pubkey hex ->
    label; when given, the attestation must declare guardians and only signatures of pinned keys
    count. `guardian_threshold`: at least this many (pinned) guardians must sign, whatever
    threshold the attestation declares (the engine could declare a lower one).
    """

    allow_pending: bool = False
    guardian_pins: dict[str, str] | None = None
    guardian_threshold: int | None = None


class BadGuardianSet(Exception):
    """A schema-valid guardian set that breaks its rules (reported by the document's own checks)."""


def guardian_set(doc: dict) -> GuardianSet | None:
    """The declared guardian set (None for a body without `signers`, formats 1 to 3, or without one);
    BadGuardianSet when malformed."""
    if "signers" not in doc:
        return None
    try:
        return GuardianSet.from_json(doc["signers"]["guardians"])
    except Exception as exc:
        raise BadGuardianSet(getattr(exc, "detail", "malformed guardian set")) from exc


def guardian_signature(key: SigningKey, att_id: str) -> dict:
    """A guardian's signature entry over attestation `att_id` (BIP-340 over the 32 id bytes)."""
    return {
        "alg": "bip340",
        "key_id": key.key_id,
        "pubkey": key.pubkey_hex,
        "sig": key.sign_digest(bytes.fromhex(att_id)).hex(),
    }


def valid_bip340(entry: dict, digest32: bytes) -> bool:
    try:
        return entry.get("alg") == "bip340" and verify_bip340(
            bytes.fromhex(entry["pubkey"]), digest32, bytes.fromhex(entry["sig"])
        )
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


def check_declared(signers: dict, add: Add) -> GuardianSet | None:
    """The `guardian_set` check: the declared set (None when there is none or it is malformed)."""
    try:
        found = GuardianSet.from_json(signers["guardians"])
    except Exception as exc:  # noqa: BLE001 - InvalidInput with its detail
        add("guardian_set", False, getattr(exc, "detail", "malformed guardian set"))
        return None
    if found is not None:
        own = {signers["engine"]["pubkey"]} | (
            {signers["rotation"]["from"]["pubkey"]} if signers["rotation"] else set()
        )
        mixed = sorted(own & set(found.pubkeys))
        # The engine's own key among its guardians would co-sign for itself.
        add(
            "guardian_set",
            not mixed,
            "no engine key among the guardians" if not mixed else f"an engine key is also a guardian: {mixed[0][:16]}…",
        )
    return found


def check_tally(doc: dict, att_id: str, guardians: GuardianSet | None, options: Options, add: Add) -> None:
    """The `guardian_pins` and `guardians` checks: enough (pinned) guardians signed, or pending."""
    pins = None if options.guardian_pins is None else {k.lower() for k in options.guardian_pins}
    if guardians is None:
        if doc["signers"]["guardians"] is not None:
            return  # malformed: guardian_set already failed
        if pins is not None or options.guardian_threshold:
            add("guardians", False, "guardians are pinned, but the attestation declares no guardian set")
        else:
            add("guardians", True, "no guardian set declared: the engine's signature makes it final")
        return
    counted, required = guardians.keys, max(guardians.threshold, options.guardian_threshold or 0)
    if pins is not None:
        unpinned = [k for k, p in guardians.keys if p not in pins]
        add(
            "guardian_pins",
            not unpinned,
            "every declared guardian is pinned"
            if not unpinned
            else f"declared guardian(s) not pinned: {', '.join(unpinned[:5])} (their signatures do not count)",
        )
        counted = tuple((k, p) for k, p in guardians.keys if p in pins)
    names = tally_keys(doc, att_id, counted)
    text = f"{len(names)} of {required} required ({len(guardians.keys)} guardians): " + (
        ", ".join(names) or "none signed"
    )
    if len(names) >= required:
        add("guardians", True, "final: " + text)
    elif options.allow_pending:
        add("guardians", True, "pending (allowed): " + text)
    else:
        add("guardians", False, "pending: " + text + " (--allow-pending accepts it)")


def chain_check(run: list[dict], b: dict, allow_pending: bool) -> tuple[list[str], list[str]]:
    """A guardian set that changed is co-signed by the threshold of the set before (`run[0]`'s).

    Returns (problems, pending): with `allow_pending` a change still waiting for the set before is
    pending, never read as co-signed.
    """
    if not run:
        return [], []
    seq = b["sequence"]
    try:
        old, new = guardian_set(run[0]), guardian_set(b)
    except BadGuardianSet as exc:
        return [f"sequence {seq}: {exc}"], []
    if old is None or old == new:
        return [], []
    signed = guardian_tally(b, attestation_id(b), old)
    if len(signed) >= old.threshold:
        return [], []
    problem = (
        f"sequence {seq} changes the guardian set but only {len(signed)} of the "
        f"{old.threshold} guardians before co-signed it"
    )
    return ([], [problem]) if allow_pending else ([problem], [])
