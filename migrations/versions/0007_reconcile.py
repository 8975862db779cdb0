"""Mint-to-deposit reconciliation: one item per mint or burn, and the operator's deposit/release links.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from reserves.storage.types import Amount

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconcile_item",
        sa.Column("deployment", sa.String(64), primary_key=True),
        sa.Column("block_number", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("log_index", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("chain_id", sa.String(64), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("amount", Amount(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("btc_txid", sa.String(64), nullable=True),
        sa.Column("btc_vout", sa.BigInteger(), nullable=True),
        sa.Column("btc_address", sa.String(200), nullable=True),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("value_sat", Amount(), nullable=True),
        sa.Column("expected", Amount(), nullable=True),
        sa.Column("actual", Amount(), nullable=True),
        sa.Column("confirmations", sa.BigInteger(), nullable=True),
        sa.Column("age_blocks", sa.BigInteger(), nullable=True),
        sa.Column("first_seen_height", sa.BigInteger(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("basis", sa.String(300), nullable=False),
    )
    op.create_index("ix_reconcile_item_status", "reconcile_item", ["status", "kind"])
    op.create_index("ix_reconcile_item_deposit", "reconcile_item", ["btc_txid", "btc_vout"])
    op.create_table(
        "reconcile_link",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("deployment", sa.String(64), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False),
        sa.Column("btc_txid", sa.String(64), nullable=False),
        sa.Column("vout", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("deployment", "tx_hash", "log_index", name="uq_reconcile_link_event"),
    )


def downgrade() -> None:
    op.drop_table("reconcile_link")
    op.drop_index("ix_reconcile_item_deposit", table_name="reconcile_item")
    op.drop_index("ix_reconcile_item_status", table_name="reconcile_item")
    op.drop_table("reconcile_item")
