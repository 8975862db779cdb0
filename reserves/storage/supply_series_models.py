"""The per-deployment supply time series: one row per deployment read by each snapshot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index
from sqlmodel import Field, SQLModel

from reserves.storage.types import Amount


class SupplyPoint(SQLModel, table=True):
    """Satoshis a deployment counted at one snapshot (a hypertable on TimescaleDB). Failed reads have none."""

    __tablename__ = "supply_point"
    __table_args__ = (Index("ix_supply_point_deployment_time", "deployment", "time"),)

    time: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True))
    sequence: int = Field(primary_key=True)
    deployment: str = Field(primary_key=True, max_length=64)
    chain_id: str = Field(max_length=64)
    supply_sat: int = Field(sa_column=Column(Amount(), nullable=False))
