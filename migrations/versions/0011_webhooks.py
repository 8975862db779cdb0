"""Webhooks: subscriptions, deliveries and attempts; the outbox learns which events were dispatched.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

`engine_event.dispatched_at` marks an event fanned out to the subscriptions (null: not yet).
Events stored before this revision are marked dispatched: no subscription existed to receive them.
`sequence` and `attestation_id` become optional: monitor, reconciliation and proof events have
no attestation of their own.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("engine_event") as batch:
        batch.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
        batch.alter_column("sequence", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("attestation_id", existing_type=sa.String(64), nullable=True)
    op.execute("UPDATE engine_event SET dispatched_at = at")
    op.create_index(
        "ix_engine_event_undispatched",
        "engine_event",
        ["id"],
        postgresql_where=sa.text("dispatched_at IS NULL"),
        sqlite_where=sa.text("dispatched_at IS NULL"),
    )
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("threshold_bp", sa.Integer(), nullable=True),
        sa.Column("ratio_below", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("disabled_reason", sa.String(500), nullable=True),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("old_secret", sa.Text(), nullable=True),
        sa.Column("old_secret_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("after_event", sa.BigInteger(), nullable=False),
        sa.Column("next_sequence", sa.BigInteger(), nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(128), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "subscription_id",
            sa.String(40),
            sa.ForeignKey("webhook_subscription.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("msg_id", sa.String(64), nullable=False, unique=True),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("series_start", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
    )
    op.create_index("ix_webhook_delivery_due", "webhook_delivery", ["subscription_id", "state", "next_attempt_at"])
    op.create_index("ix_webhook_delivery_sequence", "webhook_delivery", ["subscription_id", "sequence"], unique=True)
    op.create_table(
        "webhook_attempt",
        sa.Column(
            "delivery_id",
            sa.Integer(),
            sa.ForeignKey("webhook_delivery.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("attempt", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("manual", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("webhook_attempt")
    op.drop_table("webhook_delivery")
    op.drop_table("webhook_subscription")
    op.drop_index("ix_engine_event_undispatched", table_name="engine_event")
    op.execute("DELETE FROM engine_event WHERE sequence IS NULL OR attestation_id IS NULL")
    with op.batch_alter_table("engine_event") as batch:
        batch.drop_column("dispatched_at")
        batch.alter_column("sequence", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("attestation_id", existing_type=sa.String(64), nullable=False)
