"""Guardians, finality, key history, the event outbox, the audit log, anchors; append-only triggers.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

Existing attestations are final (they had no guardians) and get their reserve tip height and
engine key from their documents. Triggers then refuse what must never happen: deleting or
rewriting an attestation (only `finality` and `final_at` may change), and any UPDATE or
DELETE of the audit log or a guardian signature. On SQLite a future batch ALTER of these tables
would recreate them without the triggers: add columns with plain ADD COLUMN instead.
"""

import json

import sqlalchemy as sa
from alembic import op

from reserves.attestation.members.window import earlier_of

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

IMMUTABLE = (
    "id",
    "sequence",
    "previous",
    "issued_at",
    "status",
    "ratio_bp",
    "reserves_sat",
    "liabilities_sat",
    "document",
    "reserve_set_version",
    "reserves_height",
    "engine_pubkey",
)
APPEND_ONLY = ("audit_log", "guardian_signature")


def upgrade() -> None:
    op.add_column("attestation", sa.Column("reserves_height", sa.BigInteger(), nullable=True))
    op.add_column("attestation", sa.Column("engine_pubkey", sa.String(64), nullable=True))
    op.add_column("attestation", sa.Column("finality", sa.String(16), nullable=False, server_default="final"))
    op.add_column("attestation", sa.Column("final_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("signing_key", sa.Column("role", sa.String(16), nullable=False, server_default="engine"))
    op.add_column("signing_key", sa.Column("introduced_sequence", sa.Integer(), nullable=True))
    op.add_column("signing_key", sa.Column("rotation_attestation", sa.String(64), nullable=True))
    op.add_column("signing_key", sa.Column("retired_sequence", sa.Integer(), nullable=True))
    _backfill()
    op.create_table(
        "guardian_signature",
        sa.Column("attestation_id", sa.String(64), sa.ForeignKey("attestation.id"), primary_key=True),
        sa.Column("pubkey", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("sig", sa.String(128), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "engine_event",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("attestation_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_index("ix_engine_event_kind", "engine_event", ["kind", "id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=True),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "anchor_record",
        sa.Column("attestation_id", sa.String(64), primary_key=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.String(64), nullable=False),
        sa.Column("contract", sa.String(42), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    )
    _triggers(op.get_bind().dialect.name)


def _backfill() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, document FROM attestation")).all()
    for att_id, document in rows:
        doc = json.loads(document)
        try:
            height = earlier_of(doc).height  # format 1 has no valid_at: its sources' one tip, as verifiers take it
        except (KeyError, TypeError):
            height = None
        sigs = [s["pubkey"] for s in doc.get("signatures", []) if s.get("alg") == "bip340"]
        conn.execute(
            sa.text("UPDATE attestation SET reserves_height = :h, engine_pubkey = :k WHERE id = :i"),
            {"h": height, "k": sigs[0] if sigs else None, "i": att_id},
        )


def _triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("""
            CREATE FUNCTION reserves_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$""")
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in IMMUTABLE)
        op.execute(f"""
            CREATE FUNCTION reserves_attestation_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'attestations are append-only: DELETE refused'; END IF;
              IF {changed} THEN RAISE EXCEPTION 'attestations are append-only: only finality may change'; END IF;
              RETURN NEW;
            END $$""")
        op.execute(
            "CREATE TRIGGER attestation_append_only BEFORE UPDATE OR DELETE ON attestation "
            "FOR EACH ROW EXECUTE FUNCTION reserves_attestation_guard()"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION reserves_refuse_change()"
            )
        return
    op.execute(
        "CREATE TRIGGER attestation_no_delete BEFORE DELETE ON attestation "
        "BEGIN SELECT RAISE(ABORT, 'attestations are append-only: DELETE refused'); END"
    )
    op.execute(
        f"CREATE TRIGGER attestation_immutable BEFORE UPDATE OF {', '.join(IMMUTABLE)} ON attestation "
        "BEGIN SELECT RAISE(ABORT, 'attestations are append-only: only finality may change'); END"
    )
    for table in APPEND_ONLY:
        for op_name in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{op_name.lower()} BEFORE {op_name} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op_name} refused'); END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS attestation_append_only ON attestation")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS reserves_attestation_guard()")
        op.execute("DROP FUNCTION IF EXISTS reserves_refuse_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS attestation_no_delete")
        op.execute("DROP TRIGGER IF EXISTS attestation_immutable")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    for table in ("anchor_record", "audit_log", "engine_event", "guardian_signature"):
        op.drop_table(table)
    for column in ("retired_sequence", "rotation_attestation", "introduced_sequence", "role"):
        op.drop_column("signing_key", column)
    for column in ("final_at", "finality", "engine_pubkey", "reserves_height"):
        op.drop_column("attestation", column)
