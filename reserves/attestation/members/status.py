"""The `status`, `status_reasons` and (format 4) `status_basis` members: the status rules, built once, re-derived by
the checks.

Formats 1 to 3 use the plain rule (arithmetic.decide_status). Format 4 takes the ratio's level
with hysteresis, capped by the window's lowest ratio. Hysteresis only ever delays an
*improvement*: a ratio that falls below a line takes the worse level at once, while a ratio that
rises above one must clear it by `hysteresis_bp` before the level improves. So the band can hold
back a "healthy", never produce one. The engine and the verifier share these functions, so a
published status can always be re-derived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reserves.attestation import arithmetic as ar
from reserves.attestation.members import policy as policy_
from reserves.attestation.members.totals import derive_totals
from reserves.errors import InvalidInput

LEVELS = ("undercollateralized", "warning", "healthy")  # worst first
_RANK = {name: i for i, name in enumerate(LEVELS)}
MAX_REASON = 1000  # the schema's limit on one reason


def observation(label: str, entry: dict) -> ar.Observation:
    """The freshness facts of one entry, as the rule sees them (`label`: reserve source or supply deployment)."""
    if "error" in entry:
        return ar.Observation(label, entry["name"], error_code=entry["error"]["code"])
    return ar.Observation(
        label,
        entry["name"],
        block_time=ar.parse_timestamp(entry["block_time"]),
        max_age_seconds=entry["max_age_seconds"],
    )


def observations(sources: list[dict], deployments: list[dict]) -> list[ar.Observation]:
    return [observation("reserve source", s) for s in sources] + [
        observation("supply deployment", d) for d in deployments
    ]


def _claimed(body: dict) -> tuple[int | None, int]:
    """(ratio_bp, supply.total_sat) of a body the builder has just filled (they are the derived totals)."""
    ratio = body["ratio_bp"]
    return (None if ratio is None else int(ratio)), int(body["supply"]["total_sat"])


# ---- formats 1 to 3: the plain rule ----


def build_plain(inputs, body: dict) -> None:
    """status and status_reasons by arithmetic.decide_status, from the totals already in `body`."""
    ratio, liabilities = _claimed(body)
    body["status"], body["status_reasons"] = ar.decide_status(
        issued_at=ar.parse_timestamp(body["issued_at"]),
        observations=observations(inputs.entries.sources, inputs.entries.deployments),
        ratio=ratio,
        liabilities=liabilities,
        policy=inputs.policy,
    )


def check_plain(doc: dict) -> list[str]:
    policy = policy_.read(doc["policy"])
    issued = ar.parse_timestamp(doc["issued_at"])
    sources, deployments = doc["reserves"]["sources"], doc["supply"]["deployments"]
    totals = derive_totals(sources, deployments, policy.count_locked)
    status, reasons = ar.decide_status(
        issued_at=issued,
        observations=observations(sources, deployments),
        ratio=totals.ratio_bp,
        liabilities=totals.supply_sat,
        policy=policy,
    )
    problems = []
    if doc["status"] != status:
        problems.append(f"status {doc['status']} but the rule gives {status}")
    if doc["status_reasons"] != reasons:
        problems.append(f"status_reasons differ from the rule's: {reasons}")
    return problems


# ---- format 4: hysteresis and the window cap ----


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
        return "undercollateralized", [_band_reason(ratio, under, band, previous_level, "undercollateralized")]
    if prev >= _RANK["healthy"] or ratio >= warn + band:
        return "healthy", []
    if prev >= _RANK["warning"] or ratio >= under + band:
        return "warning", [_band_reason(ratio, warn, band, previous_level, "warning")]
    return "undercollateralized", [_band_reason(ratio, under, band, previous_level, "undercollateralized")]


def _band_reason(ratio: int, line: int, band: int, previous_level: str | None, level: str) -> str:
    before = f"was {previous_level}" if previous_level else "no level before"
    return (
        f"ratio {ratio} bp is above {line} bp but within the hysteresis band of {band} bp ({before}): "
        f"stays {level} until {line + band} bp"
    )


def decide_v4(
    *,
    issued_at: datetime,
    observations: list[ar.Observation],
    ratio: int | None,
    liabilities: int,
    policy: ar.Policy,
    previous_level: str | None,
    window_min: int | None,
    window_min_sequence: int | None = None,
    window_blocks: int | None = None,
) -> StatusV4:
    """(status, reasons, level) of a format 4 body.

    Stale sources make the status `stale` (their reasons first), as in every format. The level
    comes from `ratio_level`; a window whose lowest ratio is under 100 % caps it at `warning`:
    a ratio dressed up for the snapshot must not read healthy while the dip is in the window.
    Without liabilities and a stale-free reading the status is healthy with no level.
    """
    stale = ar.stale_reasons(issued_at, observations)
    if not stale and liabilities > 0 and ratio is None:
        raise InvalidInput("ratio missing although every source was read and supply is positive")
    level, reasons = (None, []) if ratio is None else ratio_level(ratio, policy, previous_level)
    if level == "healthy" and window_min is not None and window_min < ar.UNDERCOLLATERALIZED_BELOW_BP:
        level = "warning"
        where = "" if window_min_sequence is None else f" at sequence {window_min_sequence}"
        reasons = [
            f"the ratio was {window_min} bp{where}, below {ar.UNDERCOLLATERALIZED_BELOW_BP} bp, "
            f"within the last {window_blocks} blocks"
        ]
    if stale:
        return StatusV4("stale", stale + reasons, level)
    return StatusV4(level or "healthy", reasons, level)


def _decide_in_window(
    issued_at: str,
    obs: list[ar.Observation],
    ratio: int | None,
    liabilities: int,
    policy: ar.Policy,
    previous_level: str | None,
    window: dict | None,
) -> StatusV4:
    low = None if window is None or window["min_ratio_bp"] is None else int(window["min_ratio_bp"])
    return decide_v4(
        issued_at=ar.parse_timestamp(issued_at),
        observations=obs,
        ratio=ratio,
        liabilities=liabilities,
        policy=policy,
        previous_level=previous_level,
        window_min=low,
        window_min_sequence=None if window is None else window["min_sequence"],
        window_blocks=policy.window_blocks,
    )


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
        reason = f"{previous_status or 'none'} -> {result.status}: {why}"[:MAX_REASON]
    return {
        "level": result.level,
        "previous_status": previous_status,
        "previous_level": previous_level,
        "changed": changed,
        "change_reason": reason,
    }


def build_hysteresis(inputs, body: dict) -> None:
    """status, status_reasons and status_basis, from the totals and window in `body` and `inputs.previous`."""
    previous = inputs.previous
    previous_level = carried_level(previous)
    ratio, liabilities = _claimed(body)
    result = _decide_in_window(
        body["issued_at"],
        observations(inputs.entries.sources, inputs.entries.deployments),
        ratio,
        liabilities,
        inputs.policy,
        previous_level,
        body["window"],
    )
    body["status"], body["status_reasons"] = result.status, [r[:MAX_REASON] for r in result.reasons]
    body["status_basis"] = status_basis(result, None if previous is None else previous["status"], previous_level)


def check_hysteresis(doc: dict) -> list[str]:
    """The status, its reasons and its basis re-derived from primary data, the window and the claimed level before."""
    policy = policy_.read(doc["policy"])
    basis = doc["status_basis"]
    sources, deployments = doc["reserves"]["sources"], doc["supply"]["deployments"]
    totals = derive_totals(sources, deployments, policy.count_locked)
    result = _decide_in_window(
        doc["issued_at"],
        observations(sources, deployments),
        totals.ratio_bp,
        totals.supply_sat,
        policy,
        basis["previous_level"],
        doc["window"],
    )
    problems = []
    if doc["status"] != result.status:
        problems.append(f"status {doc['status']} but the rule gives {result.status}")
    if doc["status_reasons"] != [r[:MAX_REASON] for r in result.reasons]:
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


def chain_check(run: list[dict], b: dict, allow_pending: bool) -> tuple[list[str], list[str]]:
    """previous_status and previous_level of `b` are those of the attestation before it (`run[0]`)."""
    if not run:
        return [], []
    a, seq, basis, problems = run[0], b["sequence"], b["status_basis"], []
    if basis["previous_status"] != a["status"]:
        problems.append(
            f"sequence {seq}: previous_status {basis['previous_status']} but sequence {a['sequence']} is {a['status']}"
        )
    if basis["previous_level"] != carried_level(a):
        problems.append(
            f"sequence {seq}: previous_level {basis['previous_level']} but the chain carries {carried_level(a)}"
        )
    return problems, []
