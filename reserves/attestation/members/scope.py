"""The `scope` member (format 4): what an attestation proves cryptographically and what the operator only asserts;
built, checked.

Vocabulary (fixed; docs/attestation.md explains each):
- proven `reserve_outputs`: the listed outputs exist, unspent, at `reserves.valid_at` (any Bitcoin
  node or the SPV evidence shows it); `token_supply`: each deployment's figures at its block;
  `control`: every address holding counted coins has a fresh proof of control.
- asserted `unencumbered`: the coins are not pledged, lent or promised elsewhere (no chain can
  show it); `control`: for the addresses without a fresh proof, control is only claimed.
"""

from __future__ import annotations

from dataclasses import dataclass

from reserves.errors import InvalidInput

MAX_STATEMENTS = 10
MAX_STATEMENT = 500


@dataclass(frozen=True)
class ControlCounts:
    """Proofs of control at the snapshot: addresses holding counted coins, how many have a fresh
    valid proof, the freshness limit, and the age of the oldest fresh proof (seconds, at issued_at)."""

    addresses: int
    fresh: int
    max_age_seconds: int
    oldest_fresh_age_seconds: int | None


def coin_addresses(sources: list[dict]) -> set[str]:
    """Distinct addresses of the outputs reserve `sources` count (failed sources count none)."""
    return {u["address"] for s in sources if "error" not in s for u in s["utxos"]}


def scope_json(control: ControlCounts, statements: tuple[str, ...] = ()) -> dict:
    if not 0 <= control.fresh <= control.addresses:
        raise InvalidInput("scope: fresh proofs must be between 0 and the number of addresses")
    if len(statements) > MAX_STATEMENTS or any(not 1 <= len(s) <= MAX_STATEMENT for s in statements):
        raise InvalidInput(f"scope: at most {MAX_STATEMENTS} statements of 1-{MAX_STATEMENT} characters")
    all_proven = control.addresses > 0 and control.fresh == control.addresses
    return {
        "proven": ["reserve_outputs", "token_supply"] + (["control"] if all_proven else []),
        "asserted": ["unencumbered"] + ([] if all_proven else ["control"]),
        "control": {
            "addresses": control.addresses,
            "fresh": control.fresh,
            "max_age_seconds": control.max_age_seconds,
            "oldest_fresh_age_seconds": control.oldest_fresh_age_seconds if control.fresh else None,
        },
        "statements": list(statements),
    }


def build(inputs, body: dict) -> None:
    """scope from `inputs.control` (the proofs of control at the snapshot) and `inputs.statements`."""
    if inputs.control is None:
        raise InvalidInput("scope: the counts of proofs of control are needed")
    body["scope"] = scope_json(inputs.control, inputs.statements)


def check(doc: dict) -> list[str]:
    """What a verifier can check of `scope` from the body alone (proof counts need /api/v1/proofs)."""
    scope = doc["scope"]
    c = scope["control"]
    problems = []
    addresses = len(coin_addresses(doc["reserves"]["sources"]))
    if c["addresses"] != addresses:
        problems.append(f"scope.control.addresses {c['addresses']} but the counted outputs pay {addresses} addresses")
    if c["fresh"] > c["addresses"]:
        problems.append(f"scope.control.fresh {c['fresh']} exceeds the {c['addresses']} addresses")
    if (c["oldest_fresh_age_seconds"] is None) != (c["fresh"] == 0):
        problems.append("scope.control.oldest_fresh_age_seconds must be null exactly when no proof is fresh")
    elif c["oldest_fresh_age_seconds"] is not None and c["oldest_fresh_age_seconds"] > c["max_age_seconds"]:
        problems.append("scope.control: the oldest fresh proof is older than max_age_seconds")
    if not problems:
        expected = scope_json(
            ControlCounts(c["addresses"], c["fresh"], c["max_age_seconds"], c["oldest_fresh_age_seconds"]),
            tuple(scope["statements"]),
        )
        for key in ("proven", "asserted"):
            if scope[key] != expected[key]:
                problems.append(f"scope.{key} {scope[key]} but the control counts give {expected[key]}")
    return problems
