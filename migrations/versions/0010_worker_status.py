"""Worker status: each worker process's heartbeat, lead, engine key and last snapshot refusal.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

The web role runs apart from the worker: what /healthz said from the worker's memory it now reads
from this table.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_status",
        sa.Column("replica", sa.String(128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leading", sa.Boolean(), nullable=False),
        sa.Column("engine_pubkey", sa.String(64), nullable=False),
        sa.Column("engine_key_id", sa.String(64), nullable=False),
        sa.Column("last_snapshot_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_snapshot_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("replica", name="pk_worker_status"),
    )


def downgrade() -> None:
    op.drop_table("worker_status")
