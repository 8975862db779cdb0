"""The price time series: one row per round of a pair, one per source's verdict, hourly and daily rollups.

Prices as integers: `price_e8` is floor(price x 10**8) in quote units (reserves.prices.aggregate);
the exact median is kept beside it as text. A source's value is exact decimal text too (it may be
negative or zero: the verdict says so).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index
from sqlmodel import Field, SQLModel

from reserves.storage.types import Amount

VALUE_CHARS = 80  # a sign, 30 integer digits, a point, 36 fraction digits, room to spare


class PricePoint(SQLModel, table=True):
    """One round of `pair` at `time`: the aggregate (None when no source was kept) and its status."""

    __tablename__ = "price_point"
    __table_args__ = (Index("ix_price_point_time", "time"),)

    pair: str = Field(primary_key=True, max_length=32)
    time: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True))
    price_e8: int | None = Field(default=None, sa_column=Column(Amount(), nullable=True))
    price: str | None = Field(default=None, max_length=VALUE_CHARS)
    status: str = Field(max_length=8)
    reason: str | None = Field(default=None, max_length=32)
    sources: int
    kept: int


class PriceSourcePoint(SQLModel, table=True):
    """One source's verdict in one round: its value and time as it gave them, kept or why not."""

    __tablename__ = "price_source_point"

    pair: str = Field(primary_key=True, max_length=32)
    time: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True))
    source: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=64)
    value: str | None = Field(default=None, max_length=VALUE_CHARS)
    observed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    kept: bool
    reason: str = Field(max_length=16)
    detail: str = Field(default="", max_length=300)
    since: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class PriceRollup(SQLModel, table=True):
    """Rounds of `pair` per bucket of `resolution` seconds: count, fresh count, min/max/last price_e8."""

    __tablename__ = "price_rollup"

    resolution: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    bucket: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True))
    pair: str = Field(primary_key=True, max_length=32)
    n: int = Field(sa_column=Column(BigInteger(), nullable=False))
    fresh: int = Field(sa_column=Column(BigInteger(), nullable=False))
    min_price: int | None = Field(default=None, sa_column=Column(Amount(), nullable=True))
    max_price: int | None = Field(default=None, sa_column=Column(Amount(), nullable=True))
    last_time: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    last_price: int | None = Field(default=None, sa_column=Column(Amount(), nullable=True))
    last_status: str | None = Field(default=None, max_length=8)
