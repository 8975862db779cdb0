"""Reserve-set versions (the declared wallets, hashed, with a reason per change); attestations record theirs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reserve_set_version",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("wallet_count", sa.Integer(), nullable=False),
        sa.Column("declaration", sa.Text(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=True),
    )
    # Nullable and without a foreign key: format 1 attestations predate reserve sets, and SQLite
    # cannot add a constrained column without rebuilding the table.
    op.add_column("attestation", sa.Column("reserve_set_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attestation") as batch:
        batch.drop_column("reserve_set_version")
    op.drop_table("reserve_set_version")
