"""Tables of SPV evidence: per-outpoint transaction and merkle branch, and block headers per height."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Text
from sqlmodel import Field, SQLModel


class EvidenceOutpointRow(SQLModel, table=True):
    """The part of an evidence bundle that never changes while its block stays in the best chain.

    `tx_hex` is the transaction without witnesses; `merkle_branch` a JSON list of display-hex hashes.
    Headers up to whichever tip is attested come from `evidence_header` when the bundle is served.
    """

    __tablename__ = "evidence_outpoint"

    chain_id: str = Field(primary_key=True, max_length=64)
    txid: str = Field(primary_key=True, max_length=64)
    vout: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    value_sat: int = Field(sa_column=Column(BigInteger(), nullable=False))
    script_pubkey: str = Field(sa_column=Column(Text(), nullable=False))
    tx_hex: str = Field(sa_column=Column(Text(), nullable=False))
    block_height: int = Field(nullable=False)
    block_hash: str = Field(max_length=64)
    merkle_pos: int = Field(sa_column=Column(BigInteger(), nullable=False))
    merkle_branch: str = Field(sa_column=Column(Text(), nullable=False))
    collected_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class EvidenceHeaderRow(SQLModel, table=True):
    """A best-chain block header (80 bytes, hex) at `height`, as last seen; replaced after a reorg."""

    __tablename__ = "evidence_header"

    chain_id: str = Field(primary_key=True, max_length=64)
    height: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    hash: str = Field(max_length=64)
    header: str = Field(max_length=160)
