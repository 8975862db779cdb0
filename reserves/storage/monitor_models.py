"""Tables of the supply event monitor: checkpoint per deployment, recent block hashes, discrepancies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, Integer, Text
from sqlmodel import Field, SQLModel

from reserves.storage.types import Amount

# `kind` values of a monitor issue. A "reorg" is informational: it is recorded resolved at once.
ISSUE_KINDS = ("supply_mismatch", "reorg", "bad_logs", "lying_hash", "rpc_error")


class MonitorCheckpointRow(SQLModel, table=True):
    """How far one deployment's replay went, written in the same transaction as its events.

    `next_block` is the first block not yet replayed; `running_supply` = `base_supply` (the
    totalSupply just before `start_block`) + mints - burns of every replayed block below it.
    `checked_*` is the last totalSupply() comparison, at a confirmed block.
    """

    __tablename__ = "monitor_checkpoint"

    deployment: str = Field(primary_key=True, max_length=64)
    chain_id: str = Field(max_length=64)
    contract: str = Field(max_length=42)
    start_block: int = Field(sa_column=Column(BigInteger(), nullable=False))
    next_block: int = Field(sa_column=Column(BigInteger(), nullable=False))
    base_supply: int = Field(sa_column=Column(Amount(), nullable=False))
    running_supply: int = Field(sa_column=Column(Amount(), nullable=False))
    checked_supply: int | None = Field(default=None, sa_column=Column(Amount(), nullable=True))
    checked_block: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    checked_match: bool | None = Field(default=None, sa_column=Column(Boolean(), nullable=True))
    last_target: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    range_size: int = Field(sa_column=Column(BigInteger(), nullable=False))
    events_count: int = Field(sa_column=Column(BigInteger(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class MonitorBlockRow(SQLModel, table=True):
    """The hash of a replayed block (the last ~256 per deployment), kept to detect reorgs."""

    __tablename__ = "monitor_block"

    deployment: str = Field(primary_key=True, max_length=64)
    block_number: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    block_hash: str = Field(max_length=66)
    parent_hash: str = Field(max_length=66)


class MonitorIssueRow(SQLModel, table=True):
    """A discrepancy the monitor found, with the chain and block it was found at.

    Unresolved rows (`resolved_at` null) make their deployment stale. `expected`/`actual` are
    decimal strings for supplies, 0x-hashes for hashes. Reorg rows carry `depth` and `events_dropped`.
    """

    __tablename__ = "monitor_issue"
    __table_args__ = (Index("ix_monitor_issue_open", "deployment", "resolved_at"),)

    id: int | None = Field(default=None, sa_column=Column(Integer(), primary_key=True, autoincrement=True))
    deployment: str = Field(max_length=64)
    chain_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    block_hash: str | None = Field(default=None, max_length=66)
    expected: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    actual: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
    depth: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    events_dropped: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    detail: str = Field(sa_column=Column(Text(), nullable=False))
    detected_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
