"""Retention of the raw time series: drop raw points past `[timeseries] raw_retention_days` (rollups stay)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from reserves.storage import price_series, series
from reserves.storage.db import Database

log = logging.getLogger(__name__)
RETENTION_INTERVAL_SECONDS = 3600


async def series_retention_job(db: Database, days: int) -> None:
    """TimescaleDB: (re)apply the retention policy; elsewhere delete raw rows older than `days`
    ([timeseries] raw_retention_days; 0 keeps them). Never raises."""
    try:
        async with db.sessions() as session:
            async with session.begin():
                if await series.rollups_are_views(session):
                    await series.apply_retention(session, days)
                elif days:
                    dropped = await series.prune_raw(
                        session, older_than=series.retention_cutoff(datetime.now(timezone.utc), days)
                    )
                    if dropped:
                        log.info("time series: dropped %d raw points older than %d days", dropped, days)
                if days:
                    # The price rollups are plain tables on every backend: rounds are deleted everywhere.
                    cutoff = series.retention_cutoff(datetime.now(timezone.utc), days)
                    await price_series.prune(session, older_than=cutoff)
    except Exception:
        log.exception("time-series retention failed")
