"""Tables of webhook delivery: subscriptions, one delivery per event and subscription, and its attempts.

Secrets are stored encrypted (reserves.webhooks.vault); nothing here holds a secret in clear.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, Integer, Text
from sqlmodel import Field, SQLModel


class WebhookSubscriptionRow(SQLModel, table=True):
    """One receiver: where, which events, its encrypted secret(s), its state and its delivery lease.

    `state`: active, paused (by the operator) or disabled (by the portal: 410, or failing too long;
    `disabled_reason` says which); events keep queueing in every state. `failing_since` is the
    start of the current run of failures (no gap longer than the retry schedule's longest wait).
    `next_sequence` numbers its deliveries (gaps are visible to the receiver).
    `lease_owner`/`lease_until`: the worker delivering to it now (one at a time), or, with no owner,
    a backoff hold after a failure.
    `after_event`: the outbox id it was created after; older events are never sent to it.
    """

    __tablename__ = "webhook_subscription"

    id: str = Field(primary_key=True, max_length=40)
    url: str = Field(sa_column=Column(Text(), nullable=False))
    events: str = Field(sa_column=Column(Text(), nullable=False))
    description: str = Field(default="", sa_column=Column(Text(), nullable=False))
    threshold_bp: int | None = Field(default=None, sa_column=Column(Integer(), nullable=True))
    ratio_below: bool = Field(default=False, sa_column=Column(Boolean(), nullable=False))
    state: str = Field(max_length=16)
    disabled_reason: str | None = Field(default=None, max_length=500)
    secret: str = Field(sa_column=Column(Text(), nullable=False))
    old_secret: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    old_secret_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    after_event: int = Field(sa_column=Column(BigInteger(), nullable=False))
    next_sequence: int = Field(default=1, sa_column=Column(BigInteger(), nullable=False))
    failing_since: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    last_failure_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    last_success_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class WebhookDeliveryRow(SQLModel, table=True):
    """One event for one subscription: its message id (the same on every attempt), body and progress.

    `state`: pending (an attempt is due at `next_attempt_at`; a paused or disabled subscription's
    wait for it to be resumed), succeeded, or dead (its retry series ended in failure). `body` is
    the exact JSON that is signed and sent.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "subscription_id", "state", "next_attempt_at"),
        Index("ix_webhook_delivery_sequence", "subscription_id", "sequence", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: str = Field(max_length=40, foreign_key="webhook_subscription.id", ondelete="CASCADE")
    msg_id: str = Field(max_length=64, unique=True)
    event_id: int = Field(sa_column=Column(BigInteger(), nullable=False))
    event_type: str = Field(max_length=64)
    sequence: int = Field(sa_column=Column(BigInteger(), nullable=False))
    body: str = Field(sa_column=Column(Text(), nullable=False))
    state: str = Field(max_length=16)
    attempts: int = Field(default=0, sa_column=Column(Integer(), nullable=False))
    # Attempts made before the current series (a manual redelivery starts a new one): the retry
    # schedule counts from here, the attempt log keeps numbering on.
    series_start: int = Field(default=0, sa_column=Column(Integer(), nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    last_status: int | None = Field(default=None, sa_column=Column(Integer(), nullable=True))
    last_error: str | None = Field(default=None, max_length=500)


class WebhookAttemptRow(SQLModel, table=True):
    """One HTTP attempt of a delivery: when, the status code or the error, how long it took."""

    __tablename__ = "webhook_attempt"

    delivery_id: int = Field(primary_key=True, foreign_key="webhook_delivery.id", ondelete="CASCADE")
    attempt: int = Field(sa_column=Column(Integer(), primary_key=True))
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    status_code: int | None = Field(default=None, sa_column=Column(Integer(), nullable=True))
    latency_ms: int = Field(sa_column=Column(Integer(), nullable=False))
    error: str | None = Field(default=None, max_length=500)
    manual: bool = Field(default=False, sa_column=Column(Boolean(), nullable=False))
