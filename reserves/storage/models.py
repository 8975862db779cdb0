"""Tables. The schema changes only through migrations/; these models describe it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from reserves.storage.types import Amount


class AttestationRow(SQLModel, table=True):
    """One published attestation, append-only. `document` is its JSON exactly as signed."""

    __tablename__ = "attestation"
    __table_args__ = (
        UniqueConstraint("sequence", name="uq_attestation_sequence"),
        UniqueConstraint("previous", name="uq_attestation_previous"),
        Index("ix_attestation_finality", "finality", "sequence"),  # the pending page (migration 0013)
    )

    id: str = Field(primary_key=True, max_length=64)
    sequence: int = Field(nullable=False)
    previous: str | None = Field(default=None, max_length=64)
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    status: str = Field(max_length=32)
    ratio_bp: int | None = Field(default=None, sa_column=Column(Amount(), nullable=True))
    reserves_sat: int = Field(sa_column=Column(Amount(), nullable=False))
    liabilities_sat: int = Field(sa_column=Column(Amount(), nullable=False))
    document: str = Field(sa_column=Column(Text(), nullable=False))
    # The reserve-set version the attestation was made with (null for format 1 attestations).
    reserve_set_version: int | None = Field(default=None)
    # The Bitcoin tip the reserves were read at (null when no single tip): the window walks by it.
    reserves_height: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    # The engine key that made it (format 4's signers.engine; the first signer before).
    engine_pubkey: str | None = Field(default=None, max_length=64)
    # "pending" until the guardians' threshold is met, then "final" (at `final_at`). The only
    # columns that ever change: the document and everything it says never do.
    finality: str = Field(default="final", max_length=16)
    final_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class RatioPoint(SQLModel, table=True):
    """The ratio time series: one row per snapshot (a hypertable on TimescaleDB)."""

    __tablename__ = "ratio_point"
    __table_args__ = (Index("ix_ratio_point_time", "time"),)

    time: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True))
    sequence: int = Field(primary_key=True)
    attestation_id: str = Field(max_length=64)
    status: str = Field(max_length=32)
    ratio_bp: int | None = Field(default=None, sa_column=Column(Amount(), nullable=True))
    reserves_sat: int = Field(sa_column=Column(Amount(), nullable=False))
    liabilities_sat: int = Field(sa_column=Column(Amount(), nullable=False))


class SigningKeyRow(SQLModel, table=True):
    """Public half of every key that has signed attestations. The secret never enters the database."""

    __tablename__ = "signing_key"

    pubkey: str = Field(primary_key=True, max_length=64)
    key_id: str = Field(max_length=128)
    alg: str = Field(default="bip340", max_length=16)
    first_used_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    active: bool = Field(default=True)
    # "engine" or "guardian"; for an engine key, the sequence it first signed, the rotation
    # attestation that introduced it (null for the first key) and the sequence it was replaced at.
    role: str = Field(default="engine", max_length=16)
    introduced_sequence: int | None = Field(default=None)
    rotation_attestation: str | None = Field(default=None, max_length=64)
    retired_sequence: int | None = Field(default=None)


class ReserveSetVersion(SQLModel, table=True):
    """One version of the declared reserve set, append-only: what changed, when, and why.

    `declaration` is the canonical JSON the `hash` (sha256 of its RFC 8785 bytes) covers; `diff`
    is JSON of what changed from the version before (null for version 1).
    """

    __tablename__ = "reserve_set_version"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    reason: str = Field(sa_column=Column(Text(), nullable=False))
    wallet_count: int = Field(nullable=False)
    declaration: str = Field(sa_column=Column(Text(), nullable=False))
    diff: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
