"""Admin API keys: named, scoped, stored as SHA-256 hashes only.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

The [admin] token of the configuration keeps working beside them (a key named admin-token with
every scope); it is never stored.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_key",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("scopes", sa.String(100), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_admin_key_name", "admin_key", ["name"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_admin_key_name", table_name="admin_key")
    op.drop_table("admin_key")
