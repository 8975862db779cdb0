"""Prices: the median oracle's rounds, each source's verdict, and hourly and daily rollups.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

Plain tables on every backend (the engine upserts the rollups in the round's transaction and the
retention job deletes old raw rows); on TimescaleDB price_point becomes a hypertable too.
"""

import sqlalchemy as sa
from alembic import op

from reserves.storage.timescale import make_hypertable
from reserves.storage.types import Amount

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "price_point",
        sa.Column("pair", sa.String(32), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price_e8", Amount(), nullable=True),
        sa.Column("price", sa.String(80), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("sources", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pair", "time", name="pk_price_point"),
    )
    op.create_index("ix_price_point_time", "price_point", ["time"])
    op.create_table(
        "price_source_point",
        sa.Column("pair", sa.String(32), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("value", sa.String(80), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(300), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("pair", "time", "source", name="pk_price_source_point"),
    )
    op.create_table(
        "price_rollup",
        sa.Column("resolution", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pair", sa.String(32), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("fresh", sa.BigInteger(), nullable=False),
        sa.Column("min_price", Amount(), nullable=True),
        sa.Column("max_price", Amount(), nullable=True),
        sa.Column("last_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_price", Amount(), nullable=True),
        sa.Column("last_status", sa.String(8), nullable=True),
        sa.PrimaryKeyConstraint("resolution", "bucket", "pair", name="pk_price_rollup"),
    )
    make_hypertable(op.get_bind(), "price_point", "time")


def downgrade() -> None:
    op.drop_table("price_rollup")
    op.drop_table("price_source_point")
    op.drop_index("ix_price_point_time", table_name="price_point")
    op.drop_table("price_point")
