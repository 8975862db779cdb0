"""Format 4's status rule: the ratio's level with hysteresis, capped by the window's lowest ratio.

The engine and the verifier share these functions, so a published status can always be
re-derived. Hysteresis only ever delays an *improvement*: a ratio that falls below a line takes
the worse level at once, while a ratio that rises above one must clear it by `hysteresis_bp`
before the level improves. So the band can hold back a "healthy", never produce one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reserves.attestation import arithmetic as ar

LEVELS = ("undercollateralized", "warning", "healthy")  # worst first
_RANK = {name: i for i, name in enumerate(LEVELS)}


@dataclass(frozen=True)
class StatusV4:
    """What format 4 derives: `status`, its `reasons`, and the ratio's `level` (None without a ratio)."""

    status: str
    reasons: list[str]
    level: str | None


def ratio_level(ratio: int, policy: ar.Policy, previous_level: str | None) -> tuple[str, list[str]]:
    """The level of `ratio` given the level before it, and why it is not better when the band holds it.

    With no level before (the first attestation, or only stale ones so far) the band applies to
    every line: a chain starts from the strictest assumption.
    """
    under, warn, band = ar.UNDERCOLLATERALIZED_BELOW_BP, policy.warning_below_bp, policy.hysteresis_bp
    prev = _RANK.get(previous_level or "", 0)
    if ratio < under:
        return "undercollateralized", [f"ratio {ratio} bp is below {under} bp"]
    if ratio < warn:
        if prev >= _RANK["warning"] or ratio >= under + band:
            return "warning", [f"ratio {ratio} bp is below the warning line {warn} bp"]
        return "undercollateralized", [_held(ratio, under, band, previous_level, "undercollateralized")]
    if prev >= _RANK["healthy"] or ratio >= warn + band:
        return "healthy", []
    if prev >= _RANK["warning"] or ratio >= under + band:
        return "warning", [_held(ratio, warn, band, previous_level, "warning")]
    return "undercollateralized", [_held(ratio, under, band, previous_level, "undercollateralized")]


def _held(ratio: int, line: int, band: int, previous_level: str | None, level: str) -> str:
    before = f"was {previous_level}" if previous_level else "no level before"
    return (f"ratio {ratio} bp is above {line} bp but within the hysteresis band of {band} bp ({before}): "
            f"stays {level} until {line + band} bp")


def decide_v4(*, issued_at: datetime, observations: list[ar.Observation], ratio: int | None, liabilities: int,
              policy: ar.Policy, previous_level: str | None, window_min: int | None,
              window_min_sequence: int | None = None, window_blocks: int | None = None) -> StatusV4:
    """(status, reasons, level) of a format 4 body.

    Stale sources make the status `stale` (their reasons first), as in every format. The level
    comes from `ratio_level`; a window whose lowest ratio is under 100 % caps it at `warning`:
    a ratio dressed up for the snapshot must not read healthy while the dip is in the window.
    Without liabilities and a stale-free reading the status is healthy with no level.
    """
    stale = ar.stale_reasons(issued_at, observations)
    if not stale and liabilities > 0 and ratio is None:
        raise ar.InvalidInput("ratio missing although every source was read and supply is positive")
    level, reasons = (None, []) if ratio is None else ratio_level(ratio, policy, previous_level)
    if level == "healthy" and window_min is not None and window_min < ar.UNDERCOLLATERALIZED_BELOW_BP:
        level = "warning"
        where = "" if window_min_sequence is None else f" at sequence {window_min_sequence}"
        reasons = [f"the ratio was {window_min} bp{where}, below {ar.UNDERCOLLATERALIZED_BELOW_BP} bp, "
                   f"within the last {window_blocks} blocks"]
    if stale:
        return StatusV4("stale", stale + reasons, level)
    return StatusV4(level or "healthy", reasons, level)


def carried_level(previous: dict | None) -> str | None:
    """The last known level before the next attestation, from the attestation before it.

    A format 4 body carries it (its own level, else the one it carried); for older formats a
    ratio status is its level and a stale one tells nothing.
    """
    if previous is None:
        return None
    basis = previous.get("status_basis")
    if isinstance(basis, dict):
        return basis.get("level") or basis.get("previous_level")
    status = previous.get("status")
    return status if status in _RANK else None


def status_basis(result: StatusV4, previous_status: str | None, previous_level: str | None) -> dict:
    """The `status_basis` member: the level, what came before, and whether (and why) the status changed."""
    changed = result.status != previous_status
    reason = None
    if changed:
        why = result.reasons[0] if result.reasons else "every source was read and the ratio clears every line"
        reason = f"{previous_status or 'none'} -> {result.status}: {why}"[:1000]
    return {"level": result.level, "previous_status": previous_status, "previous_level": previous_level,
            "changed": changed, "change_reason": reason}
