"""Format 4 checks of one attestation: status basis, window, flows, scope, and who signed it.

Each step takes the document (schema-valid) and returns its problems. What needs the attestation
before (carried level, flows against it, the window's earlier attestations, key and guardian
continuity) is checked by verify_chain_v4 when a chain is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from reserves.attestation import arithmetic as ar
from reserves.attestation import eip712
from reserves.attestation import scope as scope_mod
from reserves.attestation import signers as signers_mod
from reserves.attestation import window
from reserves.attestation.document_v4 import derive_v4, tip_of
from reserves.attestation.status_rule import status_basis


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


def status(doc: dict) -> list[str]:
    policy = ar.Policy.from_json(doc["policy"])
    basis = doc["status_basis"]
    result = derive_v4(doc, policy, basis["previous_level"], doc["window"])
    problems = []
    if doc["status"] != result.status:
        problems.append(f"status {doc['status']} but the rule gives {result.status}")
    if doc["status_reasons"] != [r[:1000] for r in result.reasons]:
        problems.append(f"status_reasons differ from the rule's: {result.reasons}")
    expected = status_basis(result, basis["previous_status"], basis["previous_level"])
    for key in ("level", "changed", "change_reason"):
        if basis[key] != expected[key]:
            problems.append(f"status_basis.{key} {basis[key]!r} but the rule gives {expected[key]!r}")
    if (doc["sequence"] == 0) != (basis["previous_status"] is None):
        problems.append("status_basis.previous_status must be null exactly when sequence is 0")
    if doc["sequence"] == 0 and basis["previous_level"] is not None:
        # The first attestation has nothing before it: a claimed level before would lift it past the band.
        problems.append("status_basis.previous_level must be null at sequence 0")
    return problems


def window_alone(doc: dict) -> list[str]:
    w, tip, policy = doc["window"], tip_of(doc), doc["policy"]
    if (w is None) != (tip is None):
        return ["window must be null exactly when reserves.valid_at is null"]
    if w is None:
        return []
    problems = []
    low, high = window.window_bounds(tip, policy["window_blocks"])
    if (w["blocks"], w["from_height"], w["to_height"]) != (policy["window_blocks"], low, high):
        problems.append(f"window spans {w['from_height']}..{w['to_height']} over {w['blocks']} blocks, "
                        f"but the tip {tip} and window_blocks {policy['window_blocks']} give {low}..{high}")
    own = doc["ratio_bp"]
    if w["with_ratio"] > w["attestations"]:
        problems.append("window.with_ratio exceeds window.attestations")
    if (w["min_ratio_bp"] is None) != (w["with_ratio"] == 0) or (w["min_ratio_bp"] is None) != (w["min_sequence"] is None):
        problems.append("window.min_ratio_bp and min_sequence must be null exactly when no attestation has a ratio")
    elif own is not None and int(w["min_ratio_bp"]) > int(own):
        problems.append(f"window.min_ratio_bp {w['min_ratio_bp']} is above this attestation's own ratio {own}")
    elif w["min_sequence"] is not None and w["min_sequence"] > doc["sequence"]:
        problems.append("window.min_sequence is after this attestation")
    return problems


def flows_alone(doc: dict) -> list[str]:
    f = doc["flows"]
    problems = []
    if (f["previous_sequence"] is None) != (doc["sequence"] == 0) or (
            f["previous_sequence"] is not None and f["previous_sequence"] != doc["sequence"] - 1):
        problems.append(f"flows.previous_sequence {f['previous_sequence']} is not the sequence before")
    amounts = (f["inflow_sat"], f["outflow_sat"], f["short_lived_sat"])
    if any((a is None) == f["compared"] for a in amounts):
        problems.append("flows amounts must be given exactly when compared is true")
    mine = window.flows_json(doc, None, ar.Policy.from_json(doc["policy"]))
    if f["recent_inflow_sat"] != mine["recent_inflow_sat"]:
        problems.append(f"flows.recent_inflow_sat {f['recent_inflow_sat']} but the counted outputs give "
                        f"{mine['recent_inflow_sat']}")
    if ("recent_inflow" in f["flags"]) != ("recent_inflow" in mine["flags"]):
        problems.append("flows.flags: recent_inflow does not match recent_inflow_sat and flow_flag_bp")
    if not f["compared"] and set(f["flags"]) - {"recent_inflow"}:
        problems.append("flows.flags: only recent_inflow can be flagged when nothing was compared")
    return problems


def scope(doc: dict) -> list[str]:
    return scope_mod.scope_problems(doc)


def check_signatures(report, doc: dict, att_id: str, trusted: dict[str, str] | str, require: int,
                     options: Options) -> None:
    """Every signature valid and expected, the engine (and a rotation's old key) signed, the
    engine's key trusted, the EIP-712 signature recovering to `signers.eip712`, the guardians' tally."""
    signers = doc["signers"]
    engine, rotation = signers["engine"]["pubkey"], signers["rotation"]
    old = None if rotation is None else rotation["from"]["pubkey"]
    guardians = _guardians(report, signers)
    digest32 = bytes.fromhex(att_id)
    valid_keys: set[str] = set()
    for i, entry in enumerate(doc["signatures"]):
        if entry["alg"] == "eip712":
            got = eip712.recover(att_id, doc, entry["sig"])
            want = (signers["eip712"] or {}).get("address")
            ok = got is not None and got == entry["address"] == want
            report.add(f"signature[{i}]", ok, f"{entry['key_id']}: EIP-712 " + (
                f"by {got}" if ok else f"recovers {got}, signers.eip712 says {want}"))
            continue
        pubkey = entry["pubkey"]
        role = "engine" if pubkey == engine else "replaced engine key" if pubkey == old else \
            "guardian" if guardians is not None and pubkey in guardians.pubkeys else None
        valid = signers_mod.valid_bip340(entry, digest32)
        if role is None:
            # A valid signature of a key the body does not name adds nothing and harms nothing (a
            # guardian of the set before co-signs a set change); an invalid one is a fault.
            report.add(f"signature[{i}]", valid, f"{entry['key_id']}: pubkey {pubkey[:16]}… is no signer this body "
                       "names" + (" (valid BIP-340; counted only by the chain's guardian check)" if valid
                                  else ": invalid BIP-340 signature"))
            continue
        report.add(f"signature[{i}]", valid, f"{entry['key_id']} ({role}): " +
                   ("valid BIP-340" if valid else "invalid BIP-340 signature"))
        if valid:
            valid_keys.add(pubkey)
    report.add("engine", engine in valid_keys, f"engine key {engine[:16]}… " +
               ("signed" if engine in valid_keys else "did not sign validly"))
    if old is not None:
        report.add("rotation", old in valid_keys and old != engine,
                   f"replaced key {old[:16]}… " + ("signed the rotation" if old in valid_keys else "did not sign"))
    if signers["eip712"] is not None:
        found = any(e["alg"] == "eip712" for e in doc["signatures"])
        report.add("eip712", found, "EIP-712 signature present" if found else "signers.eip712 is set but no "
                   "EIP-712 signature is present")
    _trust(report, trusted, engine, old, valid_keys, require)
    _guardian_check(report, doc, att_id, guardians, options)


def _guardians(report, signers: dict):
    try:
        found = signers_mod.GuardianSet.from_json(signers["guardians"])
    except Exception as exc:  # noqa: BLE001 - InvalidInput with its detail
        report.add("guardian_set", False, getattr(exc, "detail", "malformed guardian set"))
        return None
    if found is not None:
        own = {signers["engine"]["pubkey"]} | ({signers["rotation"]["from"]["pubkey"]} if signers["rotation"] else set())
        mixed = sorted(own & set(found.pubkeys))
        # The engine's own key among its guardians would co-sign for itself.
        report.add("guardian_set", not mixed, "no engine key among the guardians" if not mixed else
                   f"an engine key is also a guardian: {mixed[0][:16]}…")
    return found


def _trust(report, trusted, engine: str, old: str | None, valid_keys: set[str], require: int) -> None:
    if isinstance(trusted, str):
        report.add("trusted", False, trusted)
        return
    anchors = [k for k in (engine, old) if k is not None and k in trusted and k in valid_keys]
    if anchors:
        via = "the engine key" if anchors[0] == engine else "the replaced key (a rotation it signed)"
        report.add("trusted", True, f"signed by {via}, trusted as {trusted[anchors[0]]}")
    else:
        report.add("trusted", False, f"neither the engine key {engine} nor a replaced key is a trusted key")
    if isinstance(require, bool) or not isinstance(require, int) or require < 1:
        report.add("signatures", False, "require_signatures must be an integer >= 1")
        return
    n = len(anchors)
    report.add("signatures", n >= require, f"{n} distinct trusted valid signer(s), {require} required")


def _guardian_check(report, doc: dict, att_id: str, guardians, options: Options) -> None:
    pins = None if options.guardian_pins is None else {k.lower() for k in options.guardian_pins}
    if guardians is None:
        if doc["signers"]["guardians"] is not None:
            return  # malformed: guardian_set already failed
        if pins is not None or options.guardian_threshold:
            report.add("guardians", False, "guardians are pinned, but the attestation declares no guardian set")
        else:
            report.add("guardians", True, "no guardian set declared: the engine's signature makes it final")
        return
    counted, required = guardians, max(guardians.threshold, options.guardian_threshold or 0)
    if pins is not None:
        unpinned = [k for k, p in guardians.keys if p not in pins]
        report.add("guardian_pins", not unpinned, "every declared guardian is pinned" if not unpinned else
                   f"declared guardian(s) not pinned: {', '.join(unpinned[:5])} (their signatures do not count)")
        counted = tuple((k, p) for k, p in guardians.keys if p in pins)
    names = signers_mod.tally_keys(doc, att_id, counted.keys if isinstance(counted, signers_mod.GuardianSet)
                                   else counted)
    n = len(guardians.keys)
    text = f"{len(names)} of {required} required ({n} guardians): " + (", ".join(names) or "none signed")
    if len(names) >= required:
        report.add("guardians", True, "final: " + text)
    elif options.allow_pending:
        report.add("guardians", True, "pending (allowed): " + text)
    else:
        report.add("guardians", False, "pending: " + text + " (--allow-pending accepts it)")
