"""Bounds: indexes that keep the proof status, pruning and the pending page independent of row counts.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

Each allowed public challenge stores proofs: the status reads the newest valid proof per address
and per signer set by index probes (outcome first, so the planner uses them with bound
parameters), pruning finds public challenges oldest first and deletes their proofs by challenge,
and the pending attestations are found without walking the final ones.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_control_proof_valid_address", "control_proof", ["outcome", "address", "proven_at", "id"]),
    ("ix_control_proof_valid_keys", "control_proof", ["outcome", "wallet", "signer_keys", "proven_at", "id"]),
    ("ix_control_proof_challenge", "control_proof", ["challenge_id"]),
    ("ix_proof_challenge_purpose", "proof_challenge", ["purpose", "created_at", "id"]),
    ("ix_attestation_finality", "attestation", ["finality", "sequence"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
