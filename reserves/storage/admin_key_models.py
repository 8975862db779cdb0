"""The admin_key table: named, scoped admin API keys, stored as SHA-256 hashes only (never the key)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class AdminKeyRow(SQLModel, table=True):
    """One admin key. `id` is the public key id (12 hex digits, also inside the key itself);
    `secret_hash` is hex SHA-256 of the whole key; `scopes` a comma-separated subset of
    read, operate, guardian, webhooks. A revoked key keeps its row (and its name: the audit log
    names it), with `revoked_at` set. `last_used_at` is updated at most about once a minute."""

    __tablename__ = "admin_key"

    id: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=64, unique=True, index=True)
    scopes: str = Field(max_length=100)
    secret_hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
