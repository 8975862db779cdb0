"""The repository: every SQL statement of the project lives here, behind small async functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from reserves.errors import StorageError
from reserves.storage.models import AttestationRow, RatioPoint, ReserveSetVersion, SigningKeyRow


class SequenceTaken(StorageError):
    """Another writer stored this sequence (or this `previous`) first; the chain did not fork."""

    code = "sequence_taken"


def utc(dt: datetime) -> datetime:
    """Datetimes come back naive from SQLite: they were written as UTC."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


async def latest_attestation(session: AsyncSession) -> AttestationRow | None:
    result = await session.exec(select(AttestationRow).order_by(AttestationRow.sequence.desc()).limit(1))
    return result.first()


async def get_attestation(session: AsyncSession, attestation_id: str) -> AttestationRow | None:
    return await session.get(AttestationRow, attestation_id)


async def list_attestations(session: AsyncSession, *, before_sequence: int | None, limit: int) -> list[AttestationRow]:
    """Newest first; `before_sequence` is the exclusive cursor."""
    stmt = select(AttestationRow).order_by(AttestationRow.sequence.desc()).limit(limit)
    if before_sequence is not None:
        stmt = stmt.where(AttestationRow.sequence < before_sequence)
    result = await session.exec(stmt)
    return list(result.all())


async def first_attestation_time(session: AsyncSession) -> datetime | None:
    result = await session.exec(select(func.min(RatioPoint.time)))
    value = result.first()
    return None if value is None else utc(value)


async def count_attestations(session: AsyncSession) -> int:
    result = await session.exec(select(func.count()).select_from(AttestationRow))
    return int(result.first() or 0)


async def insert_attestation(session: AsyncSession, row: AttestationRow, point: RatioPoint) -> None:
    """Insert one attestation and its time-series point in the caller's transaction.

    The unique constraints on `sequence` and `previous` make a concurrent second writer fail
    here with SequenceTaken instead of forking the chain.
    """
    session.add(row)
    session.add(point)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise SequenceTaken(f"sequence {row.sequence} was already stored by another writer") from exc


async def remember_key(session: AsyncSession, *, pubkey: str, key_id: str, when: datetime) -> None:
    """Record the key that signed at `when` as the active one; any other key is retired.

    Retired keys stay listed (old attestations name them) with `active` false: information for
    people who pin keys; `reserves verify` does not act on it.
    """
    row = await session.get(SigningKeyRow, pubkey)
    if row is None:
        session.add(SigningKeyRow(pubkey=pubkey, key_id=key_id, first_used_at=when, active=True))
    elif not row.active:
        row.active = True
    others = await session.exec(select(SigningKeyRow).where(SigningKeyRow.pubkey != pubkey,
                                                             SigningKeyRow.active == True))  # noqa: E712
    for other in others.all():
        other.active = False


async def list_keys(session: AsyncSession) -> list[SigningKeyRow]:
    result = await session.exec(select(SigningKeyRow).order_by(SigningKeyRow.first_used_at))
    return list(result.all())


class ReserveSetVersionTaken(StorageError):
    """Another process recorded this reserve-set version first (two instances started at once)."""

    code = "reserve_set_version_taken"


async def latest_reserve_set(session: AsyncSession) -> ReserveSetVersion | None:
    stmt = select(ReserveSetVersion).order_by(ReserveSetVersion.version.desc()).limit(1)
    return (await session.exec(stmt)).first()


async def get_reserve_set(session: AsyncSession, version: int) -> ReserveSetVersion | None:
    return await session.get(ReserveSetVersion, version)


async def list_reserve_sets(session: AsyncSession, *, before_version: int | None, limit: int) -> list[ReserveSetVersion]:
    """Newest first; `before_version` is the exclusive cursor."""
    stmt = select(ReserveSetVersion).order_by(ReserveSetVersion.version.desc()).limit(limit)
    if before_version is not None:
        stmt = stmt.where(ReserveSetVersion.version < before_version)
    return list((await session.exec(stmt)).all())


async def insert_reserve_set(session: AsyncSession, row: ReserveSetVersion) -> None:
    """Insert one version in the caller's transaction; the primary key refuses a second writer."""
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise ReserveSetVersionTaken(f"reserve-set version {row.version} was already recorded") from exc


@dataclass(frozen=True)
class Bucket:
    start: datetime
    points: int
    min_ratio_bp: int | None
    max_ratio_bp: int | None
    last_ratio_bp: int | None
    last_reserves_sat: int
    last_liabilities_sat: int
    last_status: str


async def ratio_history(session: AsyncSession, *, start: datetime, end: datetime, bucket_seconds: int) -> list[Bucket]:
    """Buckets of `bucket_seconds` over [start, end): date_bin on PostgreSQL, integer epoch math on SQLite."""
    dialect = session.bind.dialect.name
    sql = _HISTORY_PG if dialect == "postgresql" else _HISTORY_SQLITE
    params = {"start": start, "end": end, "b": bucket_seconds}
    if dialect != "postgresql":
        params = {"start": _sqlite_ts(start), "end": _sqlite_ts(end), "b": bucket_seconds}
    rows = (await session.exec(text(sql), params=params)).all()
    out = []
    for r in rows:
        begin = r.bucket if isinstance(r.bucket, datetime) else datetime.fromtimestamp(int(r.bucket), timezone.utc)
        out.append(Bucket(utc(begin), int(r.n), _amt(r.min_r), _amt(r.max_r), _amt(r.last_r),
                          int(_amt(r.last_res) or 0), int(_amt(r.last_liab) or 0), r.last_status))
    return out


def _amt(v) -> int | None:
    return None if v is None else int(v)


def _sqlite_ts(dt: datetime) -> str:
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC.
    return utc(dt).replace(tzinfo=None).isoformat(sep=" ")


_HISTORY_PG = """
SELECT date_bin(make_interval(secs => :b), time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       count(*) AS n, min(ratio_bp) AS min_r, max(ratio_bp) AS max_r,
       (array_agg(ratio_bp ORDER BY time DESC))[1] AS last_r,
       (array_agg(reserves_sat ORDER BY time DESC))[1] AS last_res,
       (array_agg(liabilities_sat ORDER BY time DESC))[1] AS last_liab,
       (array_agg(status ORDER BY time DESC))[1] AS last_status
FROM ratio_point WHERE time >= :start AND time < :end
GROUP BY bucket ORDER BY bucket
"""

# Amounts are zero-padded text on SQLite, so min()/max() compare correctly as strings; the
# window function picks the newest row of each bucket. Buckets start at 2000-01-01 (946684800),
# the origin the PostgreSQL query gives date_bin, so both backends cut time the same way.
_HISTORY_SQLITE = """
WITH p AS (
  SELECT ((CAST(strftime('%s', time) AS INTEGER) - 946684800) / :b) * :b + 946684800 AS bucket, time,
         ratio_bp, reserves_sat, liabilities_sat, status,
         ROW_NUMBER() OVER (PARTITION BY (CAST(strftime('%s', time) AS INTEGER) - 946684800) / :b
                            ORDER BY time DESC) AS rn
  FROM ratio_point WHERE time >= :start AND time < :end
)
SELECT bucket, count(*) AS n, min(ratio_bp) AS min_r, max(ratio_bp) AS max_r,
       max(CASE WHEN rn = 1 THEN ratio_bp END) AS last_r,
       max(CASE WHEN rn = 1 THEN reserves_sat END) AS last_res,
       max(CASE WHEN rn = 1 THEN liabilities_sat END) AS last_liab,
       max(CASE WHEN rn = 1 THEN status END) AS last_status
FROM p GROUP BY bucket ORDER BY bucket
"""

