"""Token logs replayed by the supply monitor (transfers, mints with their deposit, burns with their address).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from reserves.storage.types import Amount

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supply_event",
        sa.Column("deployment", sa.String(64), primary_key=True),
        sa.Column("block_number", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("log_index", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("from_address", sa.String(42), nullable=True),
        sa.Column("to_address", sa.String(42), nullable=True),
        sa.Column("amount", Amount(), nullable=False),
        sa.Column("deposit_txid", sa.String(64), nullable=True),
        sa.Column("deposit_vout", sa.BigInteger(), nullable=True),
        sa.Column("btc_address", sa.String(200), nullable=True),
    )
    op.create_index("ix_supply_event_kind", "supply_event", ["deployment", "kind", "block_number"])


def downgrade() -> None:
    op.drop_index("ix_supply_event_kind", table_name="supply_event")
    op.drop_table("supply_event")
