"""Liquidity providers as each attestation decided them: the `providers` member, one row per attestation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel


class ProviderMemberRow(SQLModel, table=True):
    """The `providers` member made with attestation `attestation_id` (JSON exactly as built), written in the
    snapshot's transaction. Read by the API and pages, and for each provider's state before the next one."""

    __tablename__ = "provider_member"

    attestation_id: str = Field(
        sa_column=Column(String(64), ForeignKey("attestation.id", ondelete="CASCADE"), primary_key=True)
    )
    sequence: int = Field(sa_column=Column(Integer(), nullable=False, unique=True))
    issued_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    member: str = Field(sa_column=Column(Text(), nullable=False))
