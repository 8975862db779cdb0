"""Tables of mint-to-deposit reconciliation: one item per mint or burn, and the operator's links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from reserves.storage.types import Amount


class ReconcileItemRow(SQLModel, table=True):
    """The reconciliation of one mint or burn, keyed like its Transfer log in `supply_event`.

    Recomputed by every reconciliation pass; deleted when its event row is gone (a reorg removed it).
    `amount` is in raw token units. For a mint, `btc_txid:btc_vout` is the deposit it claims and
    `value_sat` that output's value; for a burn, `btc_address` is where BTC is owed and
    `btc_txid:btc_vout` the release output matched to it. `expected`/`actual` (token units) are set
    for amount_mismatch. `first_seen_height` is the Bitcoin tip when the job first saw the event:
    a burn's age and deadline count from it. `basis` fingerprints what the last check relied on
    (event block hash, deposit or address, link): a change forces a new check.
    """

    __tablename__ = "reconcile_item"
    __table_args__ = (
        Index("ix_reconcile_item_status", "status", "kind"),
        Index("ix_reconcile_item_deposit", "btc_txid", "btc_vout"),
    )

    deployment: str = Field(primary_key=True, max_length=64)
    block_number: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    log_index: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    kind: str = Field(max_length=8)
    chain_id: str = Field(max_length=64)
    tx_hash: str = Field(max_length=66)
    block_hash: str = Field(max_length=66)
    amount: int = Field(sa_column=Column(Amount(), nullable=False))
    status: str = Field(max_length=24)
    reason: str | None = Field(default=None, max_length=32)
    detail: str = Field(default="", max_length=500)
    btc_txid: str | None = Field(default=None, max_length=64)
    btc_vout: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    btc_address: str | None = Field(default=None, max_length=200)
    link_id: int | None = Field(default=None)
    value_sat: int | None = Field(default=None, sa_column=Column(Amount(), nullable=True))
    expected: int | None = Field(default=None, sa_column=Column(Amount(), nullable=True))
    actual: int | None = Field(default=None, sa_column=Column(Amount(), nullable=True))
    confirmations: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    age_blocks: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    first_seen_height: int | None = Field(default=None, sa_column=Column(BigInteger(), nullable=True))
    first_seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    checked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    basis: str = Field(default="", max_length=300)


class ReconcileLinkRow(SQLModel, table=True):
    """An operator's statement that a mint (or burn) without on-chain data is backed by (or released
    through) Bitcoin output `btc_txid:vout`. Checked like any other claim; never trusted blindly.

    `tx_hash`/`log_index` name the token's Transfer log. `created_by` says who submitted it
    (the admin API and the client address), `note` why (printable text, at most 500 characters).
    """

    __tablename__ = "reconcile_link"
    __table_args__ = (UniqueConstraint("deployment", "tx_hash", "log_index", name="uq_reconcile_link_event"),)

    id: int | None = Field(default=None, primary_key=True)
    deployment: str = Field(max_length=64)
    tx_hash: str = Field(max_length=66)
    log_index: int = Field(sa_column=Column(BigInteger(), nullable=False))
    btc_txid: str = Field(max_length=64)
    vout: int = Field(sa_column=Column(BigInteger(), nullable=False))
    note: str = Field(default="", max_length=500)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
