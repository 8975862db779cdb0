"""Events of the `tiers` member: a tier leaving or re-entering its band, a locked contract changing status or findings.

Emitted on a crossing, never on every snapshot: each attestation is compared with the one before.
A tier without a share (basis 0, or a source failed) emits nothing and does not count as a
crossing; a tier the attestation before did not judge counts as having been in its band.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Emit = Callable[[str, dict], Awaitable[None]]
BAND_CROSSED = "tier_band_crossed"
CONTRACT_CHANGED = "contract_changed"


def _by_name(member: dict | None, key: str) -> dict[str, dict]:
    return {} if not isinstance(member, dict) else {e["name"]: e for e in member.get(key, [])}


def band_crossings(body: dict, previous: dict | None) -> list[dict]:
    """The payloads of the tiers whose `in_band` changed since `previous`."""
    before = _by_name(None if previous is None else previous.get("tiers"), "tiers")
    out = []
    for t in _by_name(body.get("tiers"), "tiers").values():
        if t["in_band"] is None:
            continue
        was = before.get(t["name"], {}).get("in_band")
        if t["in_band"] != (True if was is None else was):
            out.append(
                {
                    "tier": t["name"],
                    "in_band": t["in_band"],
                    "share_bp": t["share_bp"],
                    "target_bp": t["target_bp"],
                    "band_bp": t["band_bp"],
                    "amount_sat": t["amount_sat"],
                }
            )
    return out


def contract_changes(body: dict, previous: dict | None) -> list[dict]:
    """The payloads of the contracts whose status or findings changed (a new contract: when it has findings
    or is not pending)."""
    before = _by_name(None if previous is None else previous.get("tiers"), "contracts")
    out = []
    for c in _by_name(body.get("tiers"), "contracts").values():
        old = before.get(c["name"], {"status": "pending", "findings": []})
        if (old["status"], old["findings"]) != (c["status"], c["findings"]):
            out.append(
                {
                    "contract": c["name"],
                    "outpoint": f"{c['txid']}:{c['vout']}",
                    "from_status": old["status"],
                    "status": c["status"],
                    "findings": c["findings"],
                }
            )
    return out


async def emit_tier_events(emit: Emit, body: dict, previous: dict | None) -> None:
    for payload in band_crossings(body, previous):
        await emit(BAND_CROSSED, payload)
    for payload in contract_changes(body, previous):
        await emit(CONTRACT_CHANGED, payload)
