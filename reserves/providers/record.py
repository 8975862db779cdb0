"""Recording the providers member with its attestation, and one event per provider whose state changed."""

from __future__ import annotations

from datetime import datetime

from reserves.storage import events as events_repo
from reserves.storage import provider_repository as prepo

EVENT_KIND = "provider_state_changed"


async def record(session, *, attestation_id: str, sequence: int, issued: datetime, member: dict) -> None:
    """Store `member` and queue `provider_state_changed` for each entry whose state differs from the one
    before (a new provider's first state included), in the caller's (the snapshot's) transaction."""
    await prepo.add(session, attestation_id=attestation_id, sequence=sequence, issued_at=issued, member=member)
    for e in member["entries"]:
        if e["state"] == e["previous_state"]:
            continue
        await events_repo.add(
            session,
            kind=EVENT_KIND,
            at=issued,
            sequence=sequence,
            attestation_id=attestation_id,
            payload={
                "provider": e["name"],
                "from": e["previous_state"],
                "to": e["state"],
                "ratio_bp": e["ratio_bp"],
                "reasons": e["reasons"],
                "penalty_sat": e["penalty_sat"],
            },
        )
