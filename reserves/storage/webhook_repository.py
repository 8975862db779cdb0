"""Webhook SQL: subscriptions, fan-out of the outbox into deliveries, claims and attempt records.

Every function runs in the caller's transaction. Claims are made so that several workers on one
database never deliver the same attempt twice: on PostgreSQL with `FOR UPDATE SKIP LOCKED`, on
SQLite by one UPDATE ... RETURNING statement (SQLite runs one writer at a time). Fan-out on
PostgreSQL locks the undispatched events it takes (SKIP LOCKED) and the subscriptions it numbers
(FOR UPDATE), so two workers never give one event two deliveries nor one sequence number twice;
on SQLite the unique message id and (subscription, sequence) refuse the second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, bindparam, func, text
from sqlmodel import col, select

from reserves.storage.engine_models import EngineEventRow
from reserves.storage.webhook_models import WebhookAttemptRow, WebhookDeliveryRow, WebhookSubscriptionRow


def _sql(statement: str, *times: str):
    """A text statement whose named datetime parameters are bound as timezone-aware DateTime (so that
    SQLite compares them in the format the ORM stored, and PostgreSQL as timestamptz)."""
    return text(statement).bindparams(*(bindparam(name, type_=DateTime(timezone=True)) for name in times))


def _pg(session) -> bool:
    return session.bind.dialect.name == "postgresql"


async def newest_event_id(session) -> int:
    return int((await session.exec(select(func.coalesce(func.max(EngineEventRow.id), 0)))).one())


async def count_subscriptions(session) -> int:
    return int((await session.exec(select(func.count()).select_from(WebhookSubscriptionRow))).one())


async def get_subscription(session, sub_id: str) -> WebhookSubscriptionRow | None:
    return await session.get(WebhookSubscriptionRow, sub_id)


async def list_subscriptions(session) -> list[WebhookSubscriptionRow]:
    stmt = select(WebhookSubscriptionRow).order_by(
        col(WebhookSubscriptionRow.created_at), col(WebhookSubscriptionRow.id)
    )
    return list((await session.exec(stmt)).all())


# Held while a subscription is added, so that concurrent adds cannot pass max_subscriptions together.
SUBSCRIPTIONS_LOCK_KEY = 0x52455345_0012


async def lock_subscriptions(session) -> None:
    """Serialize adds: a transaction-scoped advisory lock on PostgreSQL, SQLite's write lock here."""
    if _pg(session):
        await session.exec(text("SELECT pg_advisory_xact_lock(:k)"), params={"k": SUBSCRIPTIONS_LOCK_KEY})
    else:
        await session.exec(text("UPDATE webhook_subscription SET next_sequence = next_sequence WHERE 1 = 0"))


async def take_fan_out_lock(session) -> None:
    """SQLite: start the fan-out as a write transaction, so a second worker waits for the first to
    commit and then finds its events dispatched (PostgreSQL locks rows instead, see below)."""
    if not _pg(session):
        await session.exec(text("UPDATE webhook_subscription SET next_sequence = next_sequence WHERE 1 = 0"))


async def undispatched_events(session, limit: int) -> list[EngineEventRow]:
    stmt = (
        select(EngineEventRow)
        .where(col(EngineEventRow.dispatched_at).is_(None))
        .order_by(col(EngineEventRow.id))
        .limit(limit)
    )
    if _pg(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await session.exec(stmt)).all())


async def subscriptions_for_update(session) -> list[WebhookSubscriptionRow]:
    """Every subscription, whatever its state: a paused or disabled one keeps its events (pending) and
    its numbering, so nothing is lost and no gap hides while it waits to be resumed."""
    stmt = select(WebhookSubscriptionRow).order_by(col(WebhookSubscriptionRow.id))
    if _pg(session):
        stmt = stmt.with_for_update()
    return list((await session.exec(stmt)).all())


async def claim_subscriptions(
    session, *, owner: str, now: datetime, until: datetime, limit: int, exclude: list[str] | None = None
) -> list[str]:
    """Lease up to `limit` active subscriptions with a delivery due and no other worker holding them
    (nor one of `exclude`: those this worker is still serving)."""
    lock = "FOR UPDATE SKIP LOCKED" if _pg(session) else ""
    sql = _sql(
        f"""
        UPDATE webhook_subscription SET lease_owner = :owner, lease_until = :until
        WHERE id IN (
            SELECT s.id FROM webhook_subscription s
            WHERE s.state = 'active'
              AND s.id NOT IN :exclude
              AND (s.lease_until IS NULL OR s.lease_until < :now)
              AND EXISTS (
                  SELECT 1 FROM webhook_delivery d
                  WHERE d.subscription_id = s.id AND d.state = 'pending' AND d.next_attempt_at <= :now
              )
            ORDER BY s.lease_until NULLS FIRST, s.id
            LIMIT :limit
            {lock}
        )
        RETURNING id
        """,
        "now",
        "until",
    ).bindparams(bindparam("exclude", expanding=True, type_=String()))
    params = {"owner": owner, "now": now, "until": until, "limit": limit, "exclude": list(exclude or [])}
    rows = await session.exec(sql, params=params)
    return [r[0] for r in rows.all()]


async def renew_lease(session, sub_id: str, *, owner: str, until: datetime) -> WebhookSubscriptionRow | None:
    """Extend our lease and read the subscription as it is now (a pause or a new URL or secret takes
    effect at the next attempt); None when it is no longer ours to deliver: the lease expired and
    was taken, the subscription was paused, disabled or deleted."""
    result = await session.exec(
        _sql(
            "UPDATE webhook_subscription SET lease_until = :until"
            " WHERE id = :id AND lease_owner = :owner AND state = 'active'",
            "until",
        ),
        params={"until": until, "id": sub_id, "owner": owner},
    )
    if not result.rowcount:
        return None
    return await session.get(WebhookSubscriptionRow, sub_id, populate_existing=True)


async def release_lease(session, sub_id: str, *, owner: str, hold_until: datetime | None) -> None:
    """Give the subscription back; `hold_until` keeps every worker off it until then (backoff)."""
    await session.exec(
        _sql(
            "UPDATE webhook_subscription SET lease_owner = NULL, lease_until = :until"
            " WHERE id = :id AND lease_owner = :owner",
            "until",
        ),
        params={"until": hold_until, "id": sub_id, "owner": owner},
    )


async def due_deliveries(session, sub_id: str, now: datetime, limit: int) -> list[WebhookDeliveryRow]:
    stmt = (
        select(WebhookDeliveryRow)
        .where(
            WebhookDeliveryRow.subscription_id == sub_id,
            WebhookDeliveryRow.state == "pending",
            col(WebhookDeliveryRow.next_attempt_at) <= now,
        )
        .order_by(col(WebhookDeliveryRow.sequence))
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


async def get_delivery(session, sub_id: str, delivery_id: int) -> WebhookDeliveryRow | None:
    row = await session.get(WebhookDeliveryRow, delivery_id)
    return row if row is not None and row.subscription_id == sub_id else None


async def list_deliveries(
    session, sub_id: str, *, state: str | None, before: int | None, limit: int
) -> list[WebhookDeliveryRow]:
    stmt = (
        select(WebhookDeliveryRow)
        .where(WebhookDeliveryRow.subscription_id == sub_id)
        .order_by(col(WebhookDeliveryRow.id).desc())
        .limit(limit)
    )
    if state is not None:
        stmt = stmt.where(WebhookDeliveryRow.state == state)
    if before is not None:
        stmt = stmt.where(col(WebhookDeliveryRow.id) < before)
    return list((await session.exec(stmt)).all())


async def attempts_of(session, delivery_ids: list[int]) -> dict[int, list[WebhookAttemptRow]]:
    if not delivery_ids:
        return {}
    stmt = (
        select(WebhookAttemptRow)
        .where(col(WebhookAttemptRow.delivery_id).in_(delivery_ids))
        .order_by(col(WebhookAttemptRow.delivery_id), col(WebhookAttemptRow.attempt))
    )
    out: dict[int, list[WebhookAttemptRow]] = {}
    for row in (await session.exec(stmt)).all():
        out.setdefault(row.delivery_id, []).append(row)
    return out


async def delivery_counts(session, sub_id: str) -> dict[str, int]:
    stmt = (
        select(WebhookDeliveryRow.state, func.count())
        .where(WebhookDeliveryRow.subscription_id == sub_id)
        .group_by(WebhookDeliveryRow.state)
    )
    return {state: int(n) for state, n in (await session.exec(stmt)).all()}


async def mark_attempt_started(session, delivery_id: int, *, attempt: int, retry_at: datetime) -> None:
    """Count the attempt before it is made: a worker that dies mid-send leaves it counted and due again."""
    await session.exec(
        _sql("UPDATE webhook_delivery SET attempts = :attempt, next_attempt_at = :at WHERE id = :id", "at"),
        params={"attempt": attempt, "at": retry_at, "id": delivery_id},
    )


def add_attempt(session, **values: Any) -> None:
    session.add(WebhookAttemptRow(**values))


async def lift_hold(session, sub_id: str) -> None:
    """End a backoff hold on the subscription (not a worker's lease): what is due goes out now."""
    await session.exec(
        text("UPDATE webhook_subscription SET lease_until = NULL WHERE id = :id AND lease_owner IS NULL"),
        params={"id": sub_id},
    )


async def pending_due_now(session, sub_id: str, now: datetime) -> None:
    """On resume, pending deliveries are due at once (their backoff belonged to the failures before)."""
    sql = "UPDATE webhook_delivery SET next_attempt_at = :now WHERE subscription_id = :id AND state = 'pending'"
    await session.exec(_sql(sql, "now"), params={"now": now, "id": sub_id})


async def record_success(
    session, *, delivery_id: int, sub_id: str, attempt: int, now: datetime, status: int, latency_ms: int, manual: bool
) -> bool:
    """The common outcome in three plain statements (no ORM load); False when the delivery is gone or
    moved on meanwhile (another attempt counted, e.g. after a redelivery)."""
    done = await session.exec(
        _sql(
            "UPDATE webhook_delivery SET state = 'succeeded', delivered_at = :now, next_attempt_at = NULL,"
            " last_status = :status, last_error = NULL WHERE id = :id AND state = 'pending' AND attempts = :attempt",
            "now",
        ),
        params={"now": now, "status": status, "id": delivery_id, "attempt": attempt},
    )
    if not done.rowcount:
        return False
    session.add(
        WebhookAttemptRow(
            delivery_id=delivery_id, attempt=attempt, at=now, status_code=status, latency_ms=latency_ms, manual=manual
        )
    )
    await session.exec(
        _sql(
            "UPDATE webhook_subscription SET failing_since = NULL, last_failure_at = NULL, last_success_at = :now"
            " WHERE id = :id",
            "now",
        ),
        params={"now": now, "id": sub_id},
    )
    return True
