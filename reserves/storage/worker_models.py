"""The worker's health as the web role reads it: one row per running worker process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, Text
from sqlmodel import Field, SQLModel


class WorkerStatusRow(SQLModel, table=True):
    """A worker's heartbeat, whether it leads, the engine key it signs with, and its last snapshot.

    Written by the worker only (reserves.worker.status); the web role reads it for /healthz and
    for the keys it publishes before their first attestation. `last_snapshot_error` is the JSON
    `{code, detail, at}` of the last refused scheduled snapshot, null once one succeeds.
    """

    __tablename__ = "worker_status"

    replica: str = Field(primary_key=True, max_length=128)
    started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    heartbeat_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    leading: bool = Field(sa_column=Column(Boolean(), nullable=False))
    engine_pubkey: str = Field(max_length=64)
    engine_key_id: str = Field(max_length=64)
    last_snapshot_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    last_snapshot_error: str | None = Field(default=None, sa_column=Column(Text(), nullable=True))
