"""The `policy` member: the status thresholds an attestation was decided with (format 4 adds hysteresis, window and
flow settings)."""

from __future__ import annotations

from reserves.attestation.arithmetic import UNDERCOLLATERALIZED_BELOW_BP, Policy


def to_json(policy: Policy, *, full: bool) -> dict:
    """The member; `full` adds what format 4 decides with (hysteresis, window, flows)."""
    out = {
        "warning_below_bp": str(policy.warning_below_bp),
        "undercollateralized_below_bp": str(UNDERCOLLATERALIZED_BELOW_BP),
        "count_locked": policy.count_locked,
    }
    if full:
        out.update(
            hysteresis_bp=str(policy.hysteresis_bp),
            window_blocks=policy.window_blocks,
            flow_flag_bp=str(policy.flow_flag_bp),
            recent_blocks=policy.recent_blocks,
        )
    return out


def read(member: dict) -> Policy:
    """The Policy of a body's `policy` (format 1 has no `count_locked`: nothing was locked then; formats
    before 4 have no hysteresis, window or flow members: the defaults stand in, unused). Raises InvalidInput."""
    extra = {}
    if "hysteresis_bp" in member:
        extra = dict(
            hysteresis_bp=int(member["hysteresis_bp"]),
            window_blocks=member["window_blocks"],
            flow_flag_bp=int(member["flow_flag_bp"]),
            recent_blocks=member["recent_blocks"],
        )
    return Policy(int(member["warning_below_bp"]), member.get("count_locked", True), **extra)


def build_plain(inputs, body: dict) -> None:
    """Formats 1 to 3: thresholds and count_locked of `inputs.policy`."""
    body["policy"] = to_json(inputs.policy, full=False)


def build_full(inputs, body: dict) -> None:
    """Format 4: every setting of `inputs.policy`."""
    body["policy"] = to_json(inputs.policy, full=True)


def check(doc: dict) -> list[str]:
    read(doc["policy"])  # raises InvalidInput below 10000 (or a setting out of its range)
    return []
