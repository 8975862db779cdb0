"""Supply monitor: checkpoint per deployment, recent block hashes, discrepancies found.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from reserves.storage.types import Amount

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitor_checkpoint",
        sa.Column("deployment", sa.String(64), primary_key=True),
        sa.Column("chain_id", sa.String(64), nullable=False),
        sa.Column("contract", sa.String(42), nullable=False),
        sa.Column("start_block", sa.BigInteger(), nullable=False),
        sa.Column("next_block", sa.BigInteger(), nullable=False),
        sa.Column("base_supply", Amount(), nullable=False),
        sa.Column("running_supply", Amount(), nullable=False),
        sa.Column("checked_supply", Amount(), nullable=True),
        sa.Column("checked_block", sa.BigInteger(), nullable=True),
        sa.Column("checked_match", sa.Boolean(), nullable=True),
        sa.Column("last_target", sa.BigInteger(), nullable=True),
        sa.Column("range_size", sa.BigInteger(), nullable=False),
        sa.Column("events_count", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "monitor_block",
        sa.Column("deployment", sa.String(64), primary_key=True),
        sa.Column("block_number", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("parent_hash", sa.String(66), nullable=False),
    )
    op.create_table(
        "monitor_issue",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("deployment", sa.String(64), nullable=False),
        sa.Column("chain_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("block_hash", sa.String(66), nullable=True),
        sa.Column("expected", sa.Text(), nullable=True),
        sa.Column("actual", sa.Text(), nullable=True),
        sa.Column("depth", sa.BigInteger(), nullable=True),
        sa.Column("events_dropped", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_monitor_issue_open", "monitor_issue", ["deployment", "resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_monitor_issue_open", table_name="monitor_issue")
    op.drop_table("monitor_issue")
    op.drop_table("monitor_block")
    op.drop_table("monitor_checkpoint")
