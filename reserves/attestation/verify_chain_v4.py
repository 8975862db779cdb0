"""Format 4 checks across a chain: what one attestation claims about the one before it.

- `chain.status_basis`: previous_status and previous_level are those of the attestation before.
- `chain.flows`: inflow, outflow and short-lived coins recomputed against the attestation before.
- `chain.window`: the lowest ratio over the window recomputed from the earlier attestations given;
  exact when the chain reaches the window's boundary (or sequence 0), else the claim may only be
  lower, never higher, than what the given attestations show.
- `chain.keys`: the engine key stays, or a rotation names the key before as the one it replaces.
- `chain.guardians`: a guardian set that changed is co-signed by the threshold of the set before.
"""

from __future__ import annotations

from reserves.attestation import arithmetic as ar
from reserves.attestation import signers as signers_mod
from reserves.attestation import window
from reserves.attestation.canonical import attestation_id
from reserves.attestation.schema import FORMAT
from reserves.attestation.status_rule import carried_level


def engine_keys(doc: dict) -> set[str]:
    """The engine key of a format 4 body; for older formats, every key that signed it."""
    if doc["format"] == FORMAT:
        return {doc["signers"]["engine"]["pubkey"]}
    return {s["pubkey"] for s in doc["signatures"] if s.get("alg") == "bip340"}


class BadGuardianSet(Exception):
    """A schema-valid guardian set that breaks its rules (reported by the document's own checks)."""


def guardian_set(doc: dict):
    """The declared guardian set (None before format 4 or without one); BadGuardianSet when malformed."""
    if doc["format"] != FORMAT:
        return None
    try:
        return signers_mod.GuardianSet.from_json(doc["signers"]["guardians"])
    except Exception as exc:  # noqa: BLE001 - InvalidInput: threshold above N, a key off the curve, ...
        raise BadGuardianSet(getattr(exc, "detail", "malformed guardian set")) from exc


def rotation_introduces(doc: dict, trusted: dict[str, str]) -> str | None:
    """The new engine key a format 4 rotation hands trust to, when its replaced key is trusted and
    signed it validly; None otherwise."""
    if doc["format"] != FORMAT or doc["signers"]["rotation"] is None:
        return None
    old = doc["signers"]["rotation"]["from"]["pubkey"]
    if old not in trusted:
        return None
    digest32 = bytes.fromhex(attestation_id(doc))
    if any(s.get("pubkey") == old and signers_mod.valid_bip340(s, digest32) for s in doc["signatures"]):
        return doc["signers"]["engine"]["pubkey"]
    return None


def pair_problems(a: dict, b: dict, allow_pending: bool) -> dict[str, list[str]]:
    """Problems of format 4 attestation `b` against `a`, the one just before it, per check name."""
    out: dict[str, list[str]] = {"status_basis": [], "flows": [], "keys": [], "guardians": [], "pending": []}
    seq = b["sequence"]
    basis = b["status_basis"]
    if basis["previous_status"] != a["status"]:
        out["status_basis"].append(f"sequence {seq}: previous_status {basis['previous_status']} but "
                                   f"sequence {a['sequence']} is {a['status']}")
    if basis["previous_level"] != carried_level(a):
        out["status_basis"].append(f"sequence {seq}: previous_level {basis['previous_level']} but the chain "
                                   f"carries {carried_level(a)}")
    expected = window.flows_json(b, a, ar.Policy.from_json(b["policy"]))
    if b["flows"] != expected:
        diff = sorted(k for k in expected if expected[k] != b["flows"][k])
        out["flows"].append(f"sequence {seq}: flows {', '.join(diff)} differ from the recomputed "
                            + ", ".join(f"{k}={expected[k]}" for k in diff))
    before, engine, rotation = engine_keys(a), b["signers"]["engine"]["pubkey"], b["signers"]["rotation"]
    if rotation is not None and rotation["from"]["pubkey"] not in before:
        out["keys"].append(f"sequence {seq}: the rotation replaces {rotation['from']['pubkey'][:16]}…, "
                           "which did not make the attestation before")
    elif rotation is None and engine not in before:
        out["keys"].append(f"sequence {seq}: engine key {engine[:16]}… differs from the one before without a rotation")
    try:
        old, new = guardian_set(a), guardian_set(b)
    except BadGuardianSet as exc:
        out["guardians"].append(f"sequence {seq}: {exc}")
        return out
    if old is not None and old != new:
        signed = signers_mod.guardian_tally(b, attestation_id(b), old)
        if len(signed) < old.threshold:
            problem = (f"sequence {seq} changes the guardian set but only {len(signed)} of the "
                       f"{old.threshold} guardians before co-signed it")
            # Pending is allowed to be pending, never to read as a co-signed change.
            (out["pending"] if allow_pending else out["guardians"]).append(problem)
    return out


def window_problems(run: list[dict], b: dict) -> list[str]:
    """`run`: the attestations just before `b`, contiguous, newest first (may be empty)."""
    claimed = b["window"]
    if claimed is None:
        return []
    ratio = None if b["ratio_bp"] is None else int(b["ratio_bp"])
    mine, bounded = window.window_json(blocks=claimed["blocks"], tip=claimed["to_height"], sequence=b["sequence"],
                                       ratio_bp=ratio, earlier=(window.earlier_of(d) for d in run))
    complete = bounded or (run and run[-1]["sequence"] == 0) or b["sequence"] == 0
    seq = b["sequence"]
    if complete:
        if mine != claimed:
            diff = sorted(k for k in mine if mine[k] != claimed[k])
            return [f"sequence {seq}: window {', '.join(f'{k} {claimed[k]} (recomputed {mine[k]})' for k in diff)}"]
        return []
    problems = []
    if claimed["attestations"] < mine["attestations"] or claimed["with_ratio"] < mine["with_ratio"]:
        problems.append(f"sequence {seq}: window counts fewer attestations than the chain shows")
    if mine["min_ratio_bp"] is not None and (claimed["min_ratio_bp"] is None
                                             or int(claimed["min_ratio_bp"]) > int(mine["min_ratio_bp"])):
        problems.append(f"sequence {seq}: window.min_ratio_bp {claimed['min_ratio_bp']} is above the "
                        f"{mine['min_ratio_bp']} bp of sequence {mine['min_sequence']} within the window")
    return problems


def chain_checks(report, docs: list[dict], allow_pending: bool) -> None:
    """Every format 4 pair of `docs` (schema-valid, sorted by sequence, one per sequence)."""
    found: dict[str, list[str]] = {"status_basis": [], "flows": [], "keys": [], "guardians": [], "window": [],
                                   "pending": []}
    checked = 0
    for i, b in enumerate(docs):
        if b["format"] != FORMAT:
            continue
        checked += 1
        run = []
        for d in reversed(docs[:i]):
            if d["sequence"] != (run[-1]["sequence"] if run else b["sequence"]) - 1:
                break
            run.append(d)
        if run:
            for name, problems in pair_problems(run[0], b, allow_pending).items():
                found[name] += problems
        found["window"] += window_problems(run, b)
    if not checked:
        return
    notes = {"status_basis": "each previous_status and previous_level is the chain's",
             "flows": "flows match the attestation before", "window": "windows match the attestations given",
             "keys": "the engine key changes only by a rotation the key before signed",
             "guardians": "guardian set changes co-signed by the set before"}
    pending = found.pop("pending")
    if pending:  # with --allow-pending: a set change still waiting for the set before
        notes["guardians"] = "pending (allowed): " + "; ".join(pending[:10])
    for name, problems in found.items():
        report.add(f"chain.{name}", not problems, "; ".join(problems[:10]) or notes[name])
