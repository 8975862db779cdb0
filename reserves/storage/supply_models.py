"""Token events replayed by the supply monitor: the one table the monitor writes and reconciliation reads."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from reserves.storage.types import Amount

# `kind` values. A "transfer" row is an ERC-20 Transfer log: from 0x0 it mints, to 0x0 it burns
# (the running supply is computed from these rows only, so a token that also emits Mint/Burn is
# never counted twice). "mint" and "burn" rows are the token's own Mint/Burn logs, kept for what
# they carry: the Bitcoin deposit (txid, vout) a mint is backed by, the Bitcoin address a burn
# asks to be paid.
EVENT_KINDS = ("transfer", "mint", "burn")
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class SupplyEventRow(SQLModel, table=True):
    """One token log in the canonical chain as the monitor last saw it.

    Rows above a reorg's fork point are deleted and replayed, so the table never holds a log of
    an abandoned block. Addresses are lowercase 0x-hex; hashes lowercase 0x-hex (32 bytes);
    `deposit_txid` is the Bitcoin txid as explorers show it (64 lowercase hex, no 0x).
    """

    __tablename__ = "supply_event"
    __table_args__ = (Index("ix_supply_event_kind", "deployment", "kind", "block_number"),)

    deployment: str = Field(primary_key=True, max_length=64)
    block_number: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    log_index: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    block_hash: str = Field(max_length=66)
    tx_hash: str = Field(max_length=66)
    kind: str = Field(max_length=16)
    from_address: str | None = Field(default=None, max_length=42)
    to_address: str | None = Field(default=None, max_length=42)
    amount: int = Field(sa_column=Column(Amount(), nullable=False))
    deposit_txid: str | None = Field(default=None, max_length=64)
    deposit_vout: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    btc_address: str | None = Field(default=None, max_length=200)
