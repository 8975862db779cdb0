"""Tables of proofs of control: challenges and every submitted proof's result. No private key ever."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel


class ChallengeRow(SQLModel, table=True):
    """One challenge: the exact message to sign and what it commits to.

    `purpose` is "operator" (admin API, CLI, devnet job) or "public" (answered by the online
    signer with the caller's `nonce`). `block_*` is the recent block the message embeds; a
    signature over the message cannot predate `block_time`.
    """

    __tablename__ = "proof_challenge"
    __table_args__ = (
        Index("ix_proof_challenge_created_at", "created_at"),
        Index("ix_proof_challenge_purpose", "purpose", "created_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=32)
    purpose: str = Field(max_length=16)
    message: str = Field(sa_column=Column(Text(), nullable=False))
    reserve_set_version: int = Field(nullable=False)
    reserve_set_hash: str = Field(max_length=64)
    chain_id: str = Field(max_length=64)
    block_height: int = Field(nullable=False)
    block_hash: str = Field(max_length=64)
    block_time: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    nonce: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ProofRow(SQLModel, table=True):
    """One submitted proof and its verification result (valid, inconclusive or invalid).

    `proven_at` is the challenge block's time: the earliest the signature can have been made, so
    a proof's age is measured from it. `signers` are the hex pubkeys whose signatures verified;
    `signer_keys` the declared keys they derive from at `address` (KeyInfo.id, qualified when two keys
    of the wallet share it: reserves.proofs.status.key_ref), both JSON lists.
    """

    __tablename__ = "control_proof"
    __table_args__ = (
        Index("ix_control_proof_address", "address", "proven_at"),
        Index("ix_control_proof_wallet", "wallet", "proven_at"),
        # Migration 0013: the status's index probes and pruning by challenge.
        Index("ix_control_proof_valid_address", "outcome", "address", "proven_at", "id"),
        Index("ix_control_proof_valid_keys", "outcome", "wallet", "signer_keys", "proven_at", "id"),
        Index("ix_control_proof_challenge", "challenge_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: str = Field(max_length=32, foreign_key="proof_challenge.id")
    address: str = Field(max_length=100)
    wallet: str | None = Field(default=None, max_length=64)
    source: str = Field(max_length=16)
    variant: str = Field(max_length=16)
    outcome: str = Field(max_length=16)
    detail: str = Field(max_length=500)
    # nLockTime and nSequence are uint32: beyond a PostgreSQL integer.
    valid_at_time: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    valid_at_age: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    signers: str = Field(sa_column=Column(Text(), nullable=False))
    signer_keys: str = Field(sa_column=Column(Text(), nullable=False))
    signature: str = Field(sa_column=Column(Text(), nullable=False))
    proven_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    submitted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
