"""Proofs of control: challenges and submitted proofs with their outcome and age.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proof_challenge",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("reserve_set_version", sa.Integer(), nullable=False),
        sa.Column("reserve_set_hash", sa.String(64), nullable=False),
        sa.Column("chain_id", sa.String(64), nullable=False),
        sa.Column("block_height", sa.Integer(), nullable=False),
        sa.Column("block_hash", sa.String(64), nullable=False),
        sa.Column("block_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_proof_challenge_created_at", "proof_challenge", ["created_at"])
    op.create_table(
        "control_proof",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("challenge_id", sa.String(32), sa.ForeignKey("proof_challenge.id"), nullable=False),
        sa.Column("address", sa.String(100), nullable=False),
        sa.Column("wallet", sa.String(64), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("variant", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("valid_at_time", sa.BigInteger(), nullable=True),
        sa.Column("valid_at_age", sa.BigInteger(), nullable=True),
        sa.Column("signers", sa.Text(), nullable=False),
        sa.Column("signer_keys", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("proven_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_control_proof_address", "control_proof", ["address", "proven_at"])
    op.create_index("ix_control_proof_wallet", "control_proof", ["wallet", "proven_at"])


def downgrade() -> None:
    op.drop_index("ix_control_proof_wallet", table_name="control_proof")
    op.drop_index("ix_control_proof_address", table_name="control_proof")
    op.drop_table("control_proof")
    op.drop_index("ix_proof_challenge_created_at", table_name="proof_challenge")
    op.drop_table("proof_challenge")
