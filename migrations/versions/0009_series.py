"""The supply time series per deployment, and hourly and daily rollups of both series.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

On TimescaleDB supply_point becomes a hypertable and the rollups are continuous aggregates
(reserves.storage.timescale.create_rollup_aggregates); elsewhere they are tables the engine
upserts, filled here from the existing points (supply points from the stored attestations).
"""

import json

import sqlalchemy as sa
from alembic import op

from reserves.storage.rollup_build import rebuild_rollups
from reserves.storage.timescale import create_rollup_aggregates, make_hypertable, timescale_installed
from reserves.storage.types import Amount

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supply_point",
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("deployment", sa.String(64), nullable=False),
        sa.Column("chain_id", sa.String(64), nullable=False),
        sa.Column("supply_sat", Amount(), nullable=False),
        sa.PrimaryKeyConstraint("time", "sequence", "deployment", name="pk_supply_point"),
    )
    op.create_index("ix_supply_point_deployment_time", "supply_point", ["deployment", "time"])
    conn = op.get_bind()
    _backfill_supply(conn)
    if timescale_installed(conn):
        make_hypertable(conn, "supply_point", "time")
        create_rollup_aggregates(conn)
        return
    op.create_table(
        "ratio_rollup",
        sa.Column("resolution", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("bucket", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("n", sa.BigInteger(), nullable=False),
        *[
            sa.Column(c, Amount(), nullable=True)
            for c in ("min_ratio", "max_ratio", "min_reserves", "max_reserves", "min_liabilities", "max_liabilities")
        ],
        sa.Column("last_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sequence", sa.BigInteger(), nullable=True),
        *[sa.Column(c, Amount(), nullable=True) for c in ("last_ratio", "last_reserves", "last_liabilities")],
        sa.Column("last_status", sa.String(32), nullable=True),
    )
    op.create_table(
        "supply_rollup",
        sa.Column("resolution", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("bucket", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("deployment", sa.String(64), primary_key=True),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("min_supply", Amount(), nullable=True),
        sa.Column("max_supply", Amount(), nullable=True),
        sa.Column("last_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sequence", sa.BigInteger(), nullable=True),
        sa.Column("last_supply", Amount(), nullable=True),
    )
    rebuild_rollups(conn)


def _backfill_supply(conn) -> None:
    rows = conn.execute(sa.text("SELECT issued_at, sequence, document FROM attestation")).all()
    table = sa.table(
        "supply_point",
        sa.column("time", sa.DateTime(timezone=True)),
        sa.column("sequence"),
        sa.column("deployment"),
        sa.column("chain_id"),
        sa.column("supply_sat", Amount()),
    )
    points = []
    for issued, sequence, document in rows:
        for d in json.loads(document).get("supply", {}).get("deployments", []):
            if "error" not in d and "supply_sat" in d:
                points.append(
                    {
                        "time": issued,
                        "sequence": sequence,
                        "deployment": d["name"][:64],
                        "chain_id": d["chain_id"],
                        "supply_sat": int(d["supply_sat"]),
                    }
                )
    for i in range(0, len(points), 1000):
        conn.execute(table.insert(), points[i : i + 1000])


def downgrade() -> None:
    conn = op.get_bind()
    if timescale_installed(conn):
        for view in ("ratio_rollup", "supply_rollup"):
            op.execute(f"DROP VIEW IF EXISTS {view}")
            for suffix in ("1h", "1d"):
                op.execute(f"DROP MATERIALIZED VIEW IF EXISTS {view}_{suffix}")
    else:
        op.drop_table("supply_rollup")
        op.drop_table("ratio_rollup")
    op.drop_index("ix_supply_point_deployment_time", table_name="supply_point")
    op.drop_table("supply_point")
