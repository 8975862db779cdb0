"""Initial schema: attestations, the ratio time series (a hypertable on TimescaleDB), signing keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from reserves.storage.timescale import make_hypertable
from reserves.storage.types import Amount

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attestation",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("previous", sa.String(64), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("ratio_bp", Amount(), nullable=True),
        sa.Column("reserves_sat", Amount(), nullable=False),
        sa.Column("liabilities_sat", Amount(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.UniqueConstraint("sequence", name="uq_attestation_sequence"),
        sa.UniqueConstraint("previous", name="uq_attestation_previous"),
    )
    op.create_table(
        "ratio_point",
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("attestation_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("ratio_bp", Amount(), nullable=True),
        sa.Column("reserves_sat", Amount(), nullable=False),
        sa.Column("liabilities_sat", Amount(), nullable=False),
        sa.PrimaryKeyConstraint("time", "sequence", name="pk_ratio_point"),
    )
    op.create_index("ix_ratio_point_time", "ratio_point", ["time"])
    op.create_table(
        "signing_key",
        sa.Column("pubkey", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.String(128), nullable=False),
        sa.Column("alg", sa.String(16), nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    make_hypertable(op.get_bind(), "ratio_point", "time")


def downgrade() -> None:
    op.drop_table("signing_key")
    op.drop_index("ix_ratio_point_time", table_name="ratio_point")
    op.drop_table("ratio_point")
    op.drop_table("attestation")
