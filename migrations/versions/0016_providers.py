"""Providers: the `providers` member of each attestation, for the API, the pages and the next state.

Revision ID: 0016
Revises: 0013
Create Date: 2027-01-10

One row per attestation that decided liquidity providers, written in the snapshot's transaction.
(Re-pointed at merge after the migrations of the other branches.)
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_member",
        sa.Column(
            "attestation_id",
            sa.String(64),
            sa.ForeignKey("attestation.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("sequence", sa.Integer(), nullable=False, unique=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("member", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("provider_member")
