"""Window-dressing resistance: the lowest ratio over a window of blocks, and reserve flows between attestations.

Pure functions over JSON, shared by the engine (which builds the members) and the verifier
(which recomputes them from a chain), so both read the same rules.

Window: the attestations of the last `window_blocks` Bitcoin blocks are this one plus the run of
attestations before it, newest first, up to (not including) the first whose reserves were read
below `from_height`. Attestations read at no tip (every reserve source failed) stay in the run
as ones without a ratio.

Flows: coins counted now that the attestation before did not count (inflow), coins it counted that
are gone now (outflow), and among the gone ones those that had been confirmed for at most
`recent_blocks` blocks when it was made (short-lived: in for one snapshot, out right after).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from reserves.attestation import arithmetic as ar
from reserves.attestation.reserve_entries import confirmations

FLAGS = ("large_inflow", "large_outflow", "short_lived", "recent_inflow")


@dataclass(frozen=True)
class Earlier:
    """What the window needs of an earlier attestation: its sequence, reserve tip height, ratio."""

    sequence: int
    height: int | None
    ratio_bp: int | None


def window_bounds(tip: int, blocks: int) -> tuple[int, int]:
    return max(0, tip - blocks + 1), tip


def window_json(*, blocks: int, tip: int | None, sequence: int, ratio_bp: int | None,
                earlier: Iterable[Earlier]) -> tuple[dict | None, bool]:
    """(the `window` member, whether the run ended at its boundary rather than running out).

    `earlier` is newest first; it is read only up to the boundary. None without a reserve tip.
    Ties for the lowest ratio name the newest attestation.
    """
    if tip is None:
        return None, True
    low, high = window_bounds(tip, blocks)
    count, with_ratio = 1, 0 if ratio_bp is None else 1
    best, best_seq = ratio_bp, None if ratio_bp is None else sequence
    bounded = False
    for e in earlier:
        if e.height is not None and e.height < low:
            bounded = True
            break
        count += 1
        if e.ratio_bp is not None:
            with_ratio += 1
            if best is None or e.ratio_bp < best:
                best, best_seq = e.ratio_bp, e.sequence
    return {"blocks": blocks, "from_height": low, "to_height": high, "attestations": count,
            "with_ratio": with_ratio, "min_ratio_bp": None if best is None else str(best),
            "min_sequence": best_seq}, bounded


def earlier_of(body: dict) -> Earlier:
    """The window facts of a body of any format."""
    valid_at = body.get("reserves", {}).get("valid_at")
    if valid_at is None and body.get("format") == "reserves-attestation/1":
        tips = {s["height"] for s in body["reserves"]["sources"] if "error" not in s}
        valid_at = {"height": tips.pop()} if len(tips) == 1 else None
    ratio = body.get("ratio_bp")
    return Earlier(body["sequence"], None if valid_at is None else valid_at["height"],
                   None if ratio is None else int(ratio))


def _counted(body: dict) -> dict[tuple[str, int], dict] | None:
    """Outpoint -> utxo of every listed output, or None when a reserve source failed."""
    sources = body["reserves"]["sources"]
    if any("error" in s for s in sources):
        return None
    return {(u["txid"], u["vout"]): u for s in sources for u in s["utxos"]}


def _tip(body: dict) -> int | None:
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
        recent = sum(int(u["value_sat"]) for u in now.values()
                     if confirmations(u["height"], tip) <= policy.recent_blocks)
    before = None if previous is None or previous.get("format") == "reserves-attestation/1" else _counted(previous)
    prev_tip = None if previous is None else _tip(previous)
    compared = now is not None and before is not None and tip is not None and prev_tip is not None
    inflow = outflow = short = None
    base_before = 0
    if compared:
        inflow = sum(int(u["value_sat"]) for p, u in now.items() if p not in before)
        gone = [u for p, u in before.items() if p not in now]
        outflow = sum(int(u["value_sat"]) for u in gone)
        short = sum(int(u["value_sat"]) for u in gone if confirmations(u["height"], prev_tip) <= policy.recent_blocks)
        base_before = sum(int(u["value_sat"]) for u in before.values())
    base_now = 0 if now is None else sum(int(u["value_sat"]) for u in now.values())
    flags = [name for name, amount, base in (("large_inflow", inflow, base_before), ("large_outflow", outflow, base_before),
                                              ("short_lived", short, base_before), ("recent_inflow", recent, base_now))
             if _flagged(amount, base, policy.flow_flag_bp)]
    s = lambda v: None if v is None else str(v)  # noqa: E731  (amounts as decimal strings)
    return {"previous_sequence": None if previous is None else previous["sequence"], "compared": compared,
            "inflow_sat": s(inflow), "outflow_sat": s(outflow), "short_lived_sat": s(short),
            "recent_inflow_sat": str(recent), "flags": flags}
