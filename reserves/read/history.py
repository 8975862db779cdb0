"""The history read model: bucketed min/max/last of ratio, reserves and supply over a time range.

Buckets start at 2000-01-01T00:00:00Z and are whole; the range is widened to whole buckets so
that rollups and raw rows give the same answer. Without a bucket size, the smallest "nice" size
giving at most DEFAULT_POINTS buckets is chosen (whole hours and days above an hour, so that long
ranges are read from the rollups).

The work of one request is bounded whatever the number of stored points: raw points answer ranges
of at most RAW_SPAN; a longer range is read from the hourly rollup (its bucket rounded up to whole
hours) up to HOURLY_SPAN, and from the daily rollup beyond (whole days). A range of 200 years reads
at most ~73,000 daily rows, never the raw points (a 200-year range of 1.58M raw points took 8.1 s).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from reserves.attestation.fields import MAX_NAME
from reserves.errors import InvalidInput
from reserves.read.display import iso
from reserves.storage import series

DEFAULT_POINTS = 500
MAX_POINTS = 2000
MAX_BUCKET = 366 * 86400
HOUR, DAY = 3600, 86400
RAW_SPAN = 7 * DAY
HOURLY_SPAN = 366 * DAY
TIME_FLOOR = datetime(2000, 1, 1, tzinfo=timezone.utc)
TIME_CEILING = datetime(2200, 1, 1, tzinfo=timezone.utc)
NICE = [
    1,
    5,
    10,
    15,
    30,
    60,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    10800,
    21600,
    43200,
    64800,
    86400,
    172800,
    604800,
    2592000,
    MAX_BUCKET,
]


def nice_bucket(span_seconds: float) -> int:
    """The smallest nice bucket size giving at most DEFAULT_POINTS buckets over `span_seconds`."""
    return next((b for b in NICE if span_seconds / b <= DEFAULT_POINTS), MAX_BUCKET)


def bounded_bucket(bucket: int, span_seconds: float) -> int:
    """`bucket`, rounded up to whole hours or days when the range is too long for raw points or hourly rows."""
    unit = 1 if span_seconds <= RAW_SPAN else HOUR if span_seconds <= HOURLY_SPAN else DAY
    return min(MAX_BUCKET, -(-bucket // unit) * unit)


def _align(start: datetime, end: datetime, bucket: int) -> tuple[datetime, datetime]:
    low = series.bucket_start(start, bucket)
    high = series.bucket_start(end, bucket)
    if high < end:
        high += timedelta(seconds=bucket)
    return low, high


def check_range(
    start: datetime | None, end: datetime | None, bucket_seconds: int | None, now: datetime
) -> tuple[datetime, datetime, int]:
    """(aligned start, aligned end, bucket) or InvalidInput naming the bad parameter."""
    end = end or now + timedelta(seconds=1)
    if end.tzinfo is None or (start is not None and start.tzinfo is None):
        raise InvalidInput("from/to: give a time zone (e.g. 2026-11-22T00:00:00Z)")
    # Bounded before any arithmetic: near year 1 or 9999 a shift to UTC or the default range
    # leaves what datetime can hold, and no attestation predates 2009 anyway.
    for name, value in (("to", end), ("from", start)):
        if value is not None and not TIME_FLOOR <= value <= TIME_CEILING:
            raise InvalidInput(f"{name}: must be between 2000-01-01 and 2200-01-01")
    if bucket_seconds is not None and (isinstance(bucket_seconds, bool) or not 1 <= bucket_seconds <= MAX_BUCKET):
        raise InvalidInput(f"bucket: seconds from 1 to {MAX_BUCKET}")
    end = end.astimezone(timezone.utc)
    if start is None:
        # Default: the last day, or the last 500 buckets when only a bucket size is given.
        window = timedelta(days=1) if bucket_seconds is None else timedelta(seconds=bucket_seconds * DEFAULT_POINTS)
        start = end - min(window, end - TIME_FLOOR)
    start = start.astimezone(timezone.utc)
    if start >= end:
        raise InvalidInput("from: must be before to")
    span = (end - start).total_seconds()
    bucket = bounded_bucket(bucket_seconds or nice_bucket(span), span)
    start, end = _align(start, end, bucket)
    if (end - start).total_seconds() / bucket > MAX_POINTS:
        raise InvalidInput(f"bucket: too small for this range (at most {MAX_POINTS} buckets)")
    return start, end, bucket


def _amount(v: int | None) -> str | None:
    return None if v is None else str(v)


def bucket_json(b: series.Bucket) -> dict[str, Any]:
    return {
        "start": iso(b.start),
        "points": b.points,
        "min_ratio_bp": _amount(b.min_ratio_bp),
        "max_ratio_bp": _amount(b.max_ratio_bp),
        "last_ratio_bp": _amount(b.last_ratio_bp),
        "min_reserves_sat": str(b.min_reserves_sat),
        "max_reserves_sat": str(b.max_reserves_sat),
        "last_reserves_sat": str(b.last_reserves_sat),
        "min_liabilities_sat": str(b.min_liabilities_sat),
        "max_liabilities_sat": str(b.max_liabilities_sat),
        "last_liabilities_sat": str(b.last_liabilities_sat),
        "last_status": b.last_status,
    }


def supply_bucket_json(b: series.SupplyBucket) -> dict[str, Any]:
    return {
        "start": iso(b.start),
        "points": b.points,
        "min_supply_sat": str(b.min_supply_sat),
        "max_supply_sat": str(b.max_supply_sat),
        "last_supply_sat": str(b.last_supply_sat),
    }


async def history(
    db,
    *,
    start: datetime | None,
    end: datetime | None,
    bucket_seconds: int | None,
    deployment: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The history answer; `deployment` gives that deployment's supply buckets instead of the totals."""
    if deployment is not None and not 1 <= len(deployment) <= MAX_NAME:
        raise InvalidInput(f"deployment: a name of 1 to {MAX_NAME} characters")
    start, end, bucket = check_range(start, end, bucket_seconds, now or datetime.now(timezone.utc))
    async with db.sessions() as session:
        buckets = await series.history(session, start=start, end=end, bucket_seconds=bucket, deployment=deployment)
    source = series.source_for(bucket)
    out = {
        "from": iso(start),
        "to": iso(end),
        "bucket_seconds": bucket,
        "source": "raw" if source is None else f"rollup_{source}s",
    }
    if deployment is not None:
        return {**out, "deployment": deployment, "points": [supply_bucket_json(b) for b in buckets]}
    return {**out, "points": [bucket_json(b) for b in buckets]}
