"""The public event types, and the one JSON envelope every webhook and stream event carries.

The outbox (`engine_event`) stores engine kinds (`status_changed`); receivers see dotted types
(`status.changed`) in the Standard Webhooks shape: `{"type", "timestamp", "version", "data"}`.
`data` always has `event_id` (the outbox id, increasing) and, for events that come from an
attestation, `attestation: {id, sequence, path}` so the receiver can fetch it and run
`reserves verify` on it. `ratio.below` has no outbox kind of its own: it is decided per
subscription from `attestation.published` (reserves.webhooks.fanout).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from reserves.read.display import iso
from reserves.storage.events import OPERATOR_KINDS

VERSION = 1

# Outbox kind -> public type; monitor issues are typed by their own kind (see type_of).
_TYPES = {
    "attestation_published": "attestation.published",
    "attestation_final": "attestation.finalized",
    "status_changed": "status.changed",
    "source_stale": "source.stale",
    "source_recovered": "source.recovered",
    "reserve_set_changed": "reserve_set.changed",
    "flow_flagged": "flow.flagged",
    "key_rotated": "key.rotated",
    "guardian_set_changed": "guardians.changed",
    "reconciliation_exception": "reconciliation.exception",
    "proof_expiring": "proof.expiring",
    "tier_band_crossed": "tier.band_crossed",
    "contract_changed": "contract.changed",
    "provider_state_changed": "provider.state_changed",
}
MONITOR_TYPES = {
    "supply_mismatch": "supply.mismatch",
    "bad_logs": "monitor.bad_logs",
    "lying_hash": "monitor.lying_hash",
    "rpc_error": "monitor.rpc_error",
}
RATIO_BELOW = "ratio.below"
# Every type a subscription may ask for, in the order of docs/webhooks.md.
TYPES: tuple[str, ...] = (
    "attestation.published",
    "attestation.finalized",
    "status.changed",
    RATIO_BELOW,
    "source.stale",
    "source.recovered",
    "reserve_set.changed",
    *MONITOR_TYPES.values(),
    "reconciliation.exception",
    "flow.flagged",
    "key.rotated",
    "guardians.changed",
    "proof.expiring",
    "tier.band_crossed",
    "contract.changed",
    "provider.state_changed",
)
# Operator-only kinds: kept in the outbox and the audit log, never streamed or sent.
PRIVATE_KINDS = OPERATOR_KINDS


def type_of(kind: str, payload: dict[str, Any]) -> str | None:
    """The public type of an outbox event; None for an operator-only one."""
    if kind in PRIVATE_KINDS:
        return None
    if kind == "monitor_issue":
        return MONITOR_TYPES.get(str(payload.get("kind")), "monitor.issue")
    return _TYPES.get(kind)


def attestation_ref(attestation_id: str | None, sequence: int | None) -> dict[str, Any] | None:
    if attestation_id is None:
        return None
    return {"id": attestation_id, "sequence": sequence, "path": f"/api/v1/attestations/{attestation_id}"}


def envelope(
    event_type: str,
    *,
    event_id: int,
    at: datetime,
    payload: dict[str, Any],
    attestation_id: str | None,
    sequence: int | None,
) -> dict[str, Any]:
    """The JSON object sent for one event: the Standard Webhooks shape, versioned."""
    data: dict[str, Any] = {"event_id": event_id, **payload}
    ref = attestation_ref(attestation_id, sequence)
    if ref is not None:
        data["attestation"] = ref
    return {"type": event_type, "timestamp": iso(at), "version": VERSION, "data": data}


def envelope_of(row: Any, event_type: str | None = None) -> dict[str, Any] | None:
    """The envelope of an `EngineEventRow` (None for an operator-only event); `event_type` overrides."""
    payload = json.loads(row.payload)
    chosen = event_type or type_of(row.kind, payload)
    if chosen is None:
        return None
    return envelope(
        chosen,
        event_id=row.id,
        at=row.at,
        payload=payload,
        attestation_id=row.attestation_id,
        sequence=row.sequence,
    )


def body_bytes(env: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact JSON, UTF-8."""
    return json.dumps(env, separators=(",", ":"), ensure_ascii=False).encode()
