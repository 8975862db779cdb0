"""SPV evidence: per-outpoint transaction and merkle branch, block headers per height.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_outpoint",
        sa.Column("chain_id", sa.String(64), primary_key=True),
        sa.Column("txid", sa.String(64), primary_key=True),
        sa.Column("vout", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("value_sat", sa.BigInteger(), nullable=False),
        sa.Column("script_pubkey", sa.Text(), nullable=False),
        sa.Column("tx_hex", sa.Text(), nullable=False),
        sa.Column("block_height", sa.Integer(), nullable=False),
        sa.Column("block_hash", sa.String(64), nullable=False),
        sa.Column("merkle_pos", sa.BigInteger(), nullable=False),
        sa.Column("merkle_branch", sa.Text(), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "evidence_header",
        sa.Column("chain_id", sa.String(64), primary_key=True),
        sa.Column("height", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("header", sa.String(160), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("evidence_header")
    op.drop_table("evidence_outpoint")
