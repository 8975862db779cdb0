"""Fan-out: each undispatched outbox event becomes one delivery per subscription that asked for it.

Run in one transaction: the deliveries are created, each subscription's sequence advances and the
event is marked dispatched together, or not at all. Subscriptions only receive events stored after
they were made (`after_event`). `ratio.below` is decided here, per subscription, from each
`attestation.published`: sent when the ratio falls below the subscription's threshold and again
only after it has been back at or above it (`ratio_below` remembers which side it was on).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from reserves.storage import webhook_repository as repo
from reserves.storage.engine_models import EngineEventRow
from reserves.storage.webhook_models import WebhookDeliveryRow, WebhookSubscriptionRow
from reserves.webhooks.catalogue import RATIO_BELOW, body_bytes, envelope, envelope_of

log = logging.getLogger(__name__)
FAN_OUT_BATCH = 500


def message_id(event_id: int, sub_id: str, event_type: str) -> str:
    """Deterministic: the same event never becomes two messages for one subscription (a unique column)."""
    suffix = "_rb" if event_type == RATIO_BELOW else ""
    return f"msg_{event_id}_{sub_id}{suffix}"


async def fan_out(db, now: datetime, limit: int = FAN_OUT_BATCH, writing: Callable[[], Any] | None = None) -> int:
    """Dispatch every undispatched event, `limit` per transaction; returns how many deliveries were created.

    `writing`: an async context manager factory held around each transaction (the dispatcher's
    SQLite write lock), so a long backlog lets other writes in between its batches."""
    created = 0
    while True:
        try:
            async with writing() if writing is not None else contextlib.nullcontext():
                events, deliveries = await _fan_out(db, now, limit)
        except IntegrityError as exc:
            if not _unique_violation(exc):
                raise
            # Another worker dispatched the same events first (the unique message id refused ours).
            log.warning("fan-out raced another worker; its deliveries stand")
            return created
        created += deliveries
        if events < limit:
            return created


def _unique_violation(exc: IntegrityError) -> bool:
    """PostgreSQL's unique_violation (23505), or SQLite's UNIQUE constraint message."""
    orig = exc.orig
    return getattr(orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(orig)


async def _fan_out(db, now: datetime, limit: int) -> tuple[int, int]:
    """(events dispatched, deliveries created) of one transaction."""
    async with db.sessions() as session:
        await repo.take_fan_out_lock(session)
        events = await repo.undispatched_events(session, limit)
        if not events:
            return 0, 0
        subs = await repo.subscriptions_for_update(session)
        created = 0
        for event in events:
            created += _dispatch(session, event, subs, now)
            event.dispatched_at = now
            session.add(event)
        for sub in subs:
            session.add(sub)
        await session.commit()
    return len(events), created


def _dispatch(session, event: EngineEventRow, subs: list[WebhookSubscriptionRow], now: datetime) -> int:
    assert event.id is not None
    try:
        env = envelope_of(event)
        payload = json.loads(event.payload)
    except (ValueError, TypeError, AttributeError) as exc:
        # An unreadable event must not stop every delivery behind it: it is passed, loudly.
        log.error("outbox event %s (%s) is unreadable and is not sent: %s", event.id, event.kind, exc)
        return 0
    if env is None or not isinstance(payload, dict):  # operator-only
        return 0
    event_type = env["type"]
    created = 0
    for sub in subs:
        if event.id <= sub.after_event:
            continue
        wanted = set(json.loads(sub.events))
        if event_type in wanted:
            _add(session, sub, event.id, env, now)
            created += 1
        if event_type == "attestation.published" and RATIO_BELOW in wanted and sub.threshold_bp is not None:
            below = _ratio_below(sub, payload)
            if below is not None:
                ratio_env = envelope(
                    RATIO_BELOW,
                    event_id=event.id,
                    at=event.at,
                    payload=below,
                    attestation_id=event.attestation_id,
                    sequence=event.sequence,
                )
                _add(session, sub, event.id, ratio_env, now)
                created += 1
    return created


def _ratio_below(sub: WebhookSubscriptionRow, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The data of `ratio.below` when this attestation crosses below the threshold; updates the side."""
    raw = payload.get("ratio_bp")  # as the attestation writes it: a decimal string (or a number)
    try:
        ratio = None if raw is None else int(raw)
    except (TypeError, ValueError):
        ratio = None
    if ratio is None:  # no supply: no ratio, no side
        return None
    assert sub.threshold_bp is not None
    if ratio >= sub.threshold_bp:
        sub.ratio_below = False
        return None
    if sub.ratio_below:
        return None
    sub.ratio_below = True
    return {"ratio_bp": raw, "threshold_bp": sub.threshold_bp, "status": payload.get("status")}


def _add(session, sub: WebhookSubscriptionRow, event_id: int, env: dict[str, Any], now: datetime) -> None:
    """One delivery; `delivery_sequence` numbers the subscription's deliveries (1, 2, ...) so gaps show."""
    sequence = sub.next_sequence
    sub.next_sequence = sequence + 1
    session.add(
        WebhookDeliveryRow(
            subscription_id=sub.id,
            msg_id=message_id(event_id, sub.id, env["type"]),
            event_id=event_id,
            event_type=env["type"],
            sequence=sequence,
            body=body_bytes({**env, "delivery_sequence": sequence}).decode(),
            state="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
    )
