"""Format 4 bodies: a format 3 body extended with status basis, window, flows, scope and signers.

The engine builds the format 3 part with `document.build_body` (reserves, supply, totals), reads
what the window needs from storage, then calls `extend_v4`; the verifier re-derives the status
with `derive_v4`, the same function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from reserves.attestation import arithmetic as ar
from reserves.attestation import document as doc_mod
from reserves.attestation import scope as scope_mod
from reserves.attestation import signers as signers_mod
from reserves.attestation import status_rule, window
from reserves.attestation.canonical import canonical_bytes
from reserves.attestation.keys import SigningKey
from reserves.attestation.schema import FORMAT, schema_errors
from reserves.errors import InvalidInput

ORDER = ("format", "sequence", "previous", "issued_at", "issuer", "token", "status", "status_reasons",
         "status_basis", "ratio_bp", "policy", "window", "flows", "scope", "signers", "reserves", "supply")


@dataclass(frozen=True)
class Extras:
    """What a format 4 body needs beyond format 3's inputs.

    `previous`: the body of the attestation before (any format; None for sequence 0).
    `earlier`: window facts of the attestations before, newest first (read up to the boundary).
    """

    policy: ar.Policy
    previous: dict | None
    earlier: Iterable[window.Earlier]
    control: scope_mod.ControlCounts
    engine: SigningKey
    guardians: signers_mod.GuardianSet | None = None
    rotation_from: SigningKey | None = None
    rotation_reason: str | None = None
    statements: tuple[str, ...] = ()


def tip_of(body: dict) -> int | None:
    valid_at = body["reserves"]["valid_at"]
    return None if valid_at is None else valid_at["height"]


def derive_v4(body: dict, policy: ar.Policy, previous_level: str | None, window_json: dict | None):
    """StatusV4 of a body whose reserves and supply are filled in (totals from primary data)."""
    sources, deployments = body["reserves"]["sources"], body["supply"]["deployments"]
    totals = doc_mod.derive_totals(sources, deployments, policy.count_locked)
    observations = [doc_mod._observation("reserve source", s) for s in sources]
    observations += [doc_mod._observation("supply deployment", d) for d in deployments]
    low = None if window_json is None or window_json["min_ratio_bp"] is None else int(window_json["min_ratio_bp"])
    return status_rule.decide_v4(
        issued_at=ar.parse_timestamp(body["issued_at"]), observations=observations, ratio=totals.ratio_bp,
        liabilities=totals.supply_sat, policy=policy, previous_level=previous_level, window_min=low,
        window_min_sequence=None if window_json is None else window_json["min_sequence"],
        window_blocks=policy.window_blocks)


def extend_v4(base: dict, extras: Extras) -> dict:
    """The format 4 body from a format 3 `base` (same header, reserves and supply). Raises InvalidInput."""
    body = dict(base)
    policy, previous = extras.policy, extras.previous
    if (previous is None) != (body["sequence"] == 0):
        raise InvalidInput("the previous body is needed exactly when sequence > 0")
    if previous is not None and previous["sequence"] != body["sequence"] - 1:
        raise InvalidInput("the previous body must be the attestation just before")
    body["format"] = FORMAT
    body["policy"] = policy.to_json(v4=True)
    ratio = None if body["ratio_bp"] is None else int(body["ratio_bp"])
    body["window"], _ = window.window_json(blocks=policy.window_blocks, tip=tip_of(body), sequence=body["sequence"],
                                           ratio_bp=ratio, earlier=extras.earlier)
    body["flows"] = window.flows_json(body, previous, policy)
    previous_level = status_rule.carried_level(previous)
    result = derive_v4(body, policy, previous_level, body["window"])
    body["status"], body["status_reasons"] = result.status, [r[:1000] for r in result.reasons]
    body["status_basis"] = status_rule.status_basis(result, None if previous is None else previous["status"],
                                                    previous_level)
    body["scope"] = scope_mod.scope_json(extras.control, extras.statements)
    body["signers"] = signers_mod.signers_json(extras.engine, extras.guardians, extras.rotation_from,
                                               extras.rotation_reason)
    body = {k: body[k] for k in ORDER}
    errors = schema_errors({**body, "signatures": []})
    if errors:
        raise InvalidInput("attestation body fails the schema: " + "; ".join(errors))
    canonical_bytes(body)
    return body
