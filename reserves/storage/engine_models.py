"""Tables of the engine's trust features: guardian signatures, the event outbox, the audit log, anchors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, Text, text
from sqlmodel import Field, SQLModel


class GuardianSignatureRow(SQLModel, table=True):
    """A guardian's BIP-340 signature over an attestation id, verified before it was stored.

    Append-only: the document is served with these appended to its own signatures, in order.
    """

    __tablename__ = "guardian_signature"

    attestation_id: str = Field(primary_key=True, max_length=64, foreign_key="attestation.id")
    pubkey: str = Field(primary_key=True, max_length=64)
    key_id: str = Field(max_length=64)
    sig: str = Field(max_length=128)
    submitted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class EngineEventRow(SQLModel, table=True):
    """One event the engine decided, written in the transaction that made it (an outbox).

    Kinds: reserves.storage.events.KINDS. `payload` is JSON. `sequence` and `attestation_id` name
    the attestation the event comes from, when there is one. `dispatched_at`: when the webhook
    fan-out turned it into deliveries (null until then).
    """

    __tablename__ = "engine_event"
    __table_args__ = (
        Index("ix_engine_event_kind", "kind", "id"),
        Index(
            "ix_engine_event_undispatched",
            "id",
            postgresql_where=text("dispatched_at IS NULL"),
            sqlite_where=text("dispatched_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    kind: str = Field(max_length=32)
    sequence: int | None = Field(default=None, nullable=True)
    attestation_id: str | None = Field(default=None, max_length=64, nullable=True)
    payload: str = Field(sa_column=Column(Text(), nullable=False))
    dispatched_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class AuditRow(SQLModel, table=True):
    """The append-only audit log of operator actions: who, what, when, hash-chained.

    `hash` = sha256 hex of the RFC 8785 bytes of {id, at, actor, action, detail, previous_hash};
    database triggers refuse UPDATE and DELETE.
    """

    __tablename__ = "audit_log"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=200)
    action: str = Field(max_length=64)
    detail: str = Field(sa_column=Column(Text(), nullable=False))
    previous_hash: str | None = Field(default=None, max_length=64)
    hash: str = Field(max_length=64)


class AnchorRow(SQLModel, table=True):
    """An attestation id published on an EVM chain: the transaction and, once mined, its block."""

    __tablename__ = "anchor_record"

    attestation_id: str = Field(primary_key=True, max_length=64)
    sequence: int = Field(nullable=False)
    chain_id: str = Field(max_length=64)
    contract: str = Field(max_length=42)
    tx_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    status: str = Field(max_length=16)
    error: str | None = Field(default=None, max_length=500)
    submitted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
