"""The `window` member (format 4): the lowest ratio over a window of Bitcoin blocks, built from earlier attestations,
checked alone and along a chain.

The attestations of the last `window_blocks` blocks are this one plus the run of attestations
before it, newest first, up to (not including) the first whose reserves were read below
`from_height`. Attestations read at no tip (every reserve source failed) stay in the run as
ones without a ratio. A ratio dressed up for the snapshot cannot hide a dip in the window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reserves.attestation.members.reserves import tip_of
from reserves.errors import VerificationError


@dataclass(frozen=True)
class Earlier:
    """What the window needs of an earlier attestation: its sequence, reserve tip height, ratio."""

    sequence: int
    height: int | None
    ratio_bp: int | None


def window_bounds(tip: int, blocks: int) -> tuple[int, int]:
    return max(0, tip - blocks + 1), tip


def window_json(
    *, blocks: int, tip: int | None, sequence: int, ratio_bp: int | None, earlier: Iterable[Earlier]
) -> tuple[dict | None, bool]:
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
    return {
        "blocks": blocks,
        "from_height": low,
        "to_height": high,
        "attestations": count,
        "with_ratio": with_ratio,
        "min_ratio_bp": None if best is None else str(best),
        "min_sequence": best_seq,
    }, bounded


def earlier_of(body: dict) -> Earlier:
    """The window facts of a body of any format."""
    reserves = body.get("reserves", {})
    valid_at = reserves.get("valid_at")
    if "valid_at" not in reserves:
        # Format 1 has no valid_at: its sources' one tip, as verifiers take it.
        tips = {s["height"] for s in body["reserves"]["sources"] if "error" not in s}
        valid_at = {"height": tips.pop()} if len(tips) == 1 else None
    ratio = body.get("ratio_bp")
    return Earlier(
        body["sequence"], None if valid_at is None else valid_at["height"], None if ratio is None else int(ratio)
    )


def build(inputs, body: dict) -> None:
    """window from the body's tip and ratio and `inputs.earlier` (newest first) over `inputs.policy.window_blocks`."""
    ratio = None if body["ratio_bp"] is None else int(body["ratio_bp"])
    body["window"], _ = window_json(
        blocks=inputs.policy.window_blocks,
        tip=tip_of(body),
        sequence=body["sequence"],
        ratio_bp=ratio,
        earlier=inputs.earlier,
    )


def check(doc: dict) -> list[str]:
    """What the document alone shows: the span from its tip, counts that fit, a minimum not above its own ratio."""
    w, tip, policy = doc["window"], tip_of(doc), doc["policy"]
    if (w is None) != (tip is None):
        return ["window must be null exactly when reserves.valid_at is null"]
    if w is None or tip is None:
        return []
    problems = []
    low, high = window_bounds(tip, policy["window_blocks"])
    if (w["blocks"], w["from_height"], w["to_height"]) != (policy["window_blocks"], low, high):
        problems.append(
            f"window spans {w['from_height']}..{w['to_height']} over {w['blocks']} blocks, "
            f"but the tip {tip} and window_blocks {policy['window_blocks']} give {low}..{high}"
        )
    own = doc["ratio_bp"]
    if w["with_ratio"] > w["attestations"]:
        problems.append("window.with_ratio exceeds window.attestations")
    if (w["min_ratio_bp"] is None) != (w["with_ratio"] == 0) or (w["min_ratio_bp"] is None) != (
        w["min_sequence"] is None
    ):
        problems.append("window.min_ratio_bp and min_sequence must be null exactly when no attestation has a ratio")
    elif own is not None and int(w["min_ratio_bp"]) > int(own):
        problems.append(f"window.min_ratio_bp {w['min_ratio_bp']} is above this attestation's own ratio {own}")
    elif w["min_sequence"] is not None and w["min_sequence"] > doc["sequence"]:
        problems.append("window.min_sequence is after this attestation")
    return problems


def chain_check(run: list[dict], b: dict, allow_pending: bool) -> tuple[list[str], list[str]]:
    """The window of `b` recomputed from `run`, the attestations just before it (contiguous, newest first).

    Exact when the run reaches the window's boundary (or sequence 0); else the claim may only be
    lower, never higher, than what the given attestations show.
    """
    claimed = b["window"]
    if claimed is None:
        return [], []
    ratio = None if b["ratio_bp"] is None else int(b["ratio_bp"])
    mine, bounded = window_json(
        blocks=claimed["blocks"],
        tip=claimed["to_height"],
        sequence=b["sequence"],
        ratio_bp=ratio,
        earlier=(earlier_of(d) for d in run),
    )
    if mine is None:  # not in a schema-valid document: its window always names to_height
        raise VerificationError("window without to_height")
    complete = bounded or (run and run[-1]["sequence"] == 0) or b["sequence"] == 0
    seq = b["sequence"]
    if complete:
        if mine != claimed:
            diff = sorted(k for k in mine if mine[k] != claimed[k])
            return [f"sequence {seq}: window {', '.join(f'{k} {claimed[k]} (recomputed {mine[k]})' for k in diff)}"], []
        return [], []
    problems = []
    if claimed["attestations"] < mine["attestations"] or claimed["with_ratio"] < mine["with_ratio"]:
        problems.append(f"sequence {seq}: window counts fewer attestations than the chain shows")
    if mine["min_ratio_bp"] is not None and (
        claimed["min_ratio_bp"] is None or int(claimed["min_ratio_bp"]) > int(mine["min_ratio_bp"])
    ):
        problems.append(
            f"sequence {seq}: window.min_ratio_bp {claimed['min_ratio_bp']} is above the "
            f"{mine['min_ratio_bp']} bp of sequence {mine['min_sequence']} within the window"
        )
    return problems, []
