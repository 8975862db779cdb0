"""The `flows` member (format 4): reserve flows since the attestation before, built from both bodies, checked alone
and along a chain.

Coins counted now that the attestation before did not count (inflow), coins it counted that are
gone now (outflow), and among the gone ones those that had been confirmed for at most
`recent_blocks` blocks when it was made (short-lived: in for one snapshot, out right after).
"""

from __future__ import annotations

from reserves.attestation import arithmetic as ar
from reserves.attestation.members import policy as policy_
from reserves.attestation.members.utxos import confirmations

FLAGS = ("large_inflow", "large_outflow", "short_lived", "recent_inflow")


def _counted(body: dict) -> dict[tuple[str, int], dict] | None:
    """Outpoint -> utxo of every listed output, or None when a reserve source failed."""
    sources = body["reserves"]["sources"]
    if any("error" in s for s in sources):
        return None
    return {(u["txid"], u["vout"]): u for s in sources for u in s["utxos"]}


def _tip(body: dict) -> int | None:
    # Format 1 has no valid_at, so an attestation of it is never compared.
    valid_at = body["reserves"].get("valid_at")
    return None if valid_at is None else valid_at["height"]


def _flagged(amount: int | None, base: int, flag_bp: int) -> bool:
    return amount is not None and amount > 0 and amount * ar.BP_SCALE > flag_bp * base


def flows_json(body: dict, previous: dict | None, policy: ar.Policy) -> dict:
    """The `flows` member of `body` (its reserves filled in) against the attestation before it.

    Inflow and outflow are compared only when neither attestation has a failed reserve source
    and both were read at one tip (`compared`); otherwise they are null. `recent_inflow_sat`
    needs only this body: counted outputs with at most `recent_blocks` confirmations.
    Flags: a flow whose satoshis exceed `flow_flag_bp` of the reserves it is measured against
    (the attestation before for inflow, outflow and short-lived; this one for recent inflow).
    """
    now, tip = _counted(body), _tip(body)
    recent = 0
    if now is not None and tip is not None:
        recent = sum(
            int(u["value_sat"]) for u in now.values() if confirmations(u["height"], tip) <= policy.recent_blocks
        )
    before = None if previous is None else _counted(previous)
    prev_tip = None if previous is None else _tip(previous)
    compared = False
    inflow: int | None = None
    outflow: int | None = None
    short: int | None = None
    base_before = 0
    if now is not None and before is not None and tip is not None and prev_tip is not None:
        compared = True
        inflow = sum(int(u["value_sat"]) for p, u in now.items() if p not in before)
        gone = [u for p, u in before.items() if p not in now]
        outflow = sum(int(u["value_sat"]) for u in gone)
        short = sum(int(u["value_sat"]) for u in gone if confirmations(u["height"], prev_tip) <= policy.recent_blocks)
        base_before = sum(int(u["value_sat"]) for u in before.values())
    base_now = 0 if now is None else sum(int(u["value_sat"]) for u in now.values())
    flags = [
        name
        for name, amount, base in (
            ("large_inflow", inflow, base_before),
            ("large_outflow", outflow, base_before),
            ("short_lived", short, base_before),
            ("recent_inflow", recent, base_now),
        )
        if _flagged(amount, base, policy.flow_flag_bp)
    ]
    s = lambda v: None if v is None else str(v)  # noqa: E731  (amounts as decimal strings)
    return {
        "previous_sequence": None if previous is None else previous["sequence"],
        "compared": compared,
        "inflow_sat": s(inflow),
        "outflow_sat": s(outflow),
        "short_lived_sat": s(short),
        "recent_inflow_sat": str(recent),
        "flags": flags,
    }


def build(inputs, body: dict) -> None:
    """flows of `body` against `inputs.previous` under `inputs.policy`."""
    body["flows"] = flows_json(body, inputs.previous, inputs.policy)


def check(doc: dict) -> list[str]:
    """What the document alone shows: the sequence before, amounts exactly when compared, its own recent inflow."""
    f = doc["flows"]
    problems = []
    if (f["previous_sequence"] is None) != (doc["sequence"] == 0) or (
        f["previous_sequence"] is not None and f["previous_sequence"] != doc["sequence"] - 1
    ):
        problems.append(f"flows.previous_sequence {f['previous_sequence']} is not the sequence before")
    amounts = (f["inflow_sat"], f["outflow_sat"], f["short_lived_sat"])
    if any((a is None) == f["compared"] for a in amounts):
        problems.append("flows amounts must be given exactly when compared is true")
    mine = flows_json(doc, None, policy_.read(doc["policy"]))
    if f["recent_inflow_sat"] != mine["recent_inflow_sat"]:
        problems.append(
            f"flows.recent_inflow_sat {f['recent_inflow_sat']} but the counted outputs give {mine['recent_inflow_sat']}"
        )
    if ("recent_inflow" in f["flags"]) != ("recent_inflow" in mine["flags"]):
        problems.append("flows.flags: recent_inflow does not match recent_inflow_sat and flow_flag_bp")
    if not f["compared"] and set(f["flags"]) - {"recent_inflow"}:
        problems.append("flows.flags: only recent_inflow can be flagged when nothing was compared")
    return problems


def chain_check(run: list[dict], b: dict, allow_pending: bool) -> tuple[list[str], list[str]]:
    """The flows of `b` recomputed against the attestation before it (`run[0]`)."""
    if not run:
        return [], []
    a, seq = run[0], b["sequence"]
    expected = flows_json(b, a, policy_.read(b["policy"]))
    if b["flows"] == expected:
        return [], []
    diff = sorted(k for k in expected if expected[k] != b["flows"][k])
    return [
        f"sequence {seq}: flows {', '.join(diff)} differ from the recomputed "
        + ", ".join(f"{k}={expected[k]}" for k in diff)
    ], []
