"""The repository: every SQL statement of the project lives here, behind small async functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import LargeBinary, cast, func, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from reserves.errors import StorageError
from reserves.storage import series
from reserves.storage.engine_models import GuardianSignatureRow
from reserves.storage.models import AttestationRow, RatioPoint, ReserveSetVersion, SigningKeyRow

# Advisory lock keys (PostgreSQL): the chain's writers, the audit log's writers, the scheduler's leader.
CHAIN_LOCK_KEY = 0x52455345_0001
AUDIT_LOCK_KEY = 0x52455345_0002
LEADER_LOCK_KEY = 0x52455345_0003


class SequenceTaken(StorageError):
    """Another writer stored this sequence (or this `previous`) first; the chain did not fork."""

    code = "sequence_taken"


def utc(dt: datetime) -> datetime:
    """Datetimes come back naive from SQLite: they were written as UTC."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


async def latest_attestation(session: AsyncSession) -> AttestationRow | None:
    result = await session.exec(select(AttestationRow).order_by(col(AttestationRow.sequence).desc()).limit(1))
    return result.first()


async def latest_attestation_id(session: AsyncSession) -> str | None:
    """The id of the newest attestation, without reading its document."""
    stmt = select(AttestationRow.id).order_by(col(AttestationRow.sequence).desc()).limit(1)
    return (await session.exec(stmt)).first()


async def get_attestation(session: AsyncSession, attestation_id: str) -> AttestationRow | None:
    return await session.get(AttestationRow, attestation_id)


async def next_attestation_id(session: AsyncSession, attestation_id: str) -> str | None:
    """The id of the attestation made right after `attestation_id` (its `previous`), None for the newest."""
    stmt = select(AttestationRow.id).where(AttestationRow.previous == attestation_id)
    return (await session.exec(stmt)).first()


async def list_attestations(
    session: AsyncSession, *, before_sequence: int | None, limit: int, documents: bool = True
) -> list[AttestationRow]:
    """Newest first; `before_sequence` is the exclusive cursor. `documents=False` leaves the stored
    documents unread (their attribute must then not be touched): the columns only."""
    stmt = select(AttestationRow).order_by(col(AttestationRow.sequence).desc()).limit(limit)
    if not documents:
        stmt = stmt.options(defer(AttestationRow.document))  # type: ignore[arg-type]
    if before_sequence is not None:
        stmt = stmt.where(AttestationRow.sequence < before_sequence)
    result = await session.exec(stmt)
    return list(result.all())


@dataclass(frozen=True)
class AttestationHead:
    """An attestation's id, sequence and the size of its stored document in bytes (UTF-8)."""

    id: str
    sequence: int
    size: int


def _document_bytes(dialect: str):
    # PostgreSQL reads the size from the TOAST header without decompressing; SQLite counts the bytes.
    if dialect == "postgresql":
        return func.octet_length(AttestationRow.document)
    return func.length(cast(AttestationRow.document, LargeBinary))


async def attestation_heads(
    session: AsyncSession,
    *,
    limit: int,
    before_sequence: int | None = None,
    after_sequence: int | None = None,
    pending: bool = False,
) -> list[AttestationHead]:
    """Heads newest first (with `pending`, the pending ones oldest first), without the documents.

    `before_sequence` / `after_sequence` are exclusive cursors. Pages pick their items from these
    sizes and load only the documents they keep (attestation_documents).
    """
    size = _document_bytes((await session.connection()).dialect.name)
    stmt = select(AttestationRow.id, AttestationRow.sequence, size)
    if pending:
        stmt = stmt.where(AttestationRow.finality == "pending").order_by(col(AttestationRow.sequence))
    else:
        stmt = stmt.order_by(col(AttestationRow.sequence).desc())
    if before_sequence is not None:
        stmt = stmt.where(AttestationRow.sequence < before_sequence)
    if after_sequence is not None:
        stmt = stmt.where(AttestationRow.sequence > after_sequence)
    rows = (await session.exec(stmt.limit(limit))).all()
    return [AttestationHead(i, s, int(n or 0)) for i, s, n in rows]


async def attestation_documents(session: AsyncSession, ids: list[str]) -> dict[str, str]:
    """The stored document text of each attestation in `ids`."""
    out: dict[str, str] = {}
    for i in range(0, len(ids), 500):
        stmt = select(AttestationRow.id, AttestationRow.document).where(col(AttestationRow.id).in_(ids[i : i + 500]))
        out.update((await session.exec(stmt)).all())
    return out


async def first_attestation_time(session: AsyncSession) -> datetime | None:
    result = await session.exec(select(func.min(RatioPoint.time)))
    value = result.first()
    return None if value is None else utc(value)


async def first_attestation_id(session: AsyncSession) -> str | None:
    """The id of the chain's first attestation (sequence 0, by its unique index): it names the chain."""
    stmt = select(AttestationRow.id).where(AttestationRow.sequence == 0)
    return (await session.exec(stmt)).first()


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


async def remember_key(
    session: AsyncSession,
    *,
    pubkey: str,
    key_id: str,
    when: datetime,
    sequence: int | None = None,
    rotation_attestation: str | None = None,
) -> None:
    """Record the engine key that signed `sequence` at `when` as the active one; any other engine
    key is retired at that sequence.

    Retired keys stay listed (old attestations name them) with `active` false and the sequence
    they were replaced at; a key introduced by a rotation names the attestation that did it.
    """
    row = await session.get(SigningKeyRow, pubkey)
    if row is None:
        session.add(
            SigningKeyRow(
                pubkey=pubkey,
                key_id=key_id,
                first_used_at=when,
                active=True,
                role="engine",
                introduced_sequence=sequence,
                rotation_attestation=rotation_attestation,
            )
        )
    elif not row.active:
        row.active = True
        row.retired_sequence = None
    others = await session.exec(
        select(SigningKeyRow).where(
            SigningKeyRow.pubkey != pubkey,
            SigningKeyRow.role == "engine",
            SigningKeyRow.active == True,  # noqa: E712 - a SQL expression, not a truth test
        )
    )
    for other in others.all():
        other.active = False
        other.retired_sequence = sequence


async def remember_guardian(session: AsyncSession, *, pubkey: str, key_id: str, when: datetime, sequence: int) -> None:
    """Record a guardian key the first time an attestation declares it."""
    if await session.get(SigningKeyRow, pubkey) is None:
        session.add(
            SigningKeyRow(
                pubkey=pubkey,
                key_id=key_id,
                first_used_at=when,
                active=True,
                role="guardian",
                introduced_sequence=sequence,
            )
        )


async def lock_chain(session: AsyncSession) -> None:
    """Serialise writers of the chain for the rest of the caller's transaction.

    PostgreSQL: a transaction-scoped advisory lock (released by commit or rollback, or when the
    connection dies). SQLite: a no-op write takes the database's write lock before anything is
    read, so the newest attestation read next cannot change under the transaction.
    """
    # Textual SQL goes to the transaction's connection, as session.exec would send it (exec is typed for
    # select, update and delete only).
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK_KEY})
    else:
        await conn.execute(text("UPDATE attestation SET sequence = sequence WHERE 1 = 0"))


async def window_rows(
    session: AsyncSession, *, before_sequence: int, limit: int
) -> list[tuple[int, int | None, int | None]]:
    """(sequence, reserves_height, ratio_bp) of attestations before `before_sequence`, newest first."""
    stmt = (
        select(AttestationRow.sequence, AttestationRow.reserves_height, AttestationRow.ratio_bp)
        .where(AttestationRow.sequence < before_sequence)
        .order_by(col(AttestationRow.sequence).desc())
        .limit(limit)
    )
    return [(s, h, None if r is None else int(r)) for s, h, r in (await session.exec(stmt)).all()]


async def get_key(session: AsyncSession, pubkey: str) -> SigningKeyRow | None:
    return await session.get(SigningKeyRow, pubkey)


async def list_keys(session: AsyncSession) -> list[SigningKeyRow]:
    result = await session.exec(select(SigningKeyRow).order_by(col(SigningKeyRow.first_used_at)))
    return list(result.all())


class ReserveSetVersionTaken(StorageError):
    """Another process recorded this reserve-set version first (two instances started at once)."""

    code = "reserve_set_version_taken"


async def latest_reserve_set(session: AsyncSession) -> ReserveSetVersion | None:
    stmt = select(ReserveSetVersion).order_by(col(ReserveSetVersion.version).desc()).limit(1)
    return (await session.exec(stmt)).first()


async def get_reserve_set(session: AsyncSession, version: int) -> ReserveSetVersion | None:
    return await session.get(ReserveSetVersion, version)


async def list_reserve_sets(
    session: AsyncSession, *, before_version: int | None, limit: int
) -> list[ReserveSetVersion]:
    """Newest first; `before_version` is the exclusive cursor."""
    stmt = select(ReserveSetVersion).order_by(col(ReserveSetVersion.version).desc()).limit(limit)
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


# The time series lives in reserves.storage.series; these names stay for the dashboard's callers.
Bucket = series.Bucket


async def ratio_history(session: AsyncSession, *, start: datetime, end: datetime, bucket_seconds: int) -> list[Bucket]:
    """Buckets of `bucket_seconds` over [start, end) from the raw points (see series.history)."""
    return await series.history(session, start=start, end=end, bucket_seconds=bucket_seconds, resolution=None)


async def guardian_signatures(session: AsyncSession, ids: list[str]) -> dict[str, list[GuardianSignatureRow]]:
    """Guardian signatures of each attestation in `ids`, in submission order."""
    out: dict[str, list[GuardianSignatureRow]] = {}
    for i in range(0, len(ids), 500):
        stmt = (
            select(GuardianSignatureRow)
            .where(col(GuardianSignatureRow.attestation_id).in_(ids[i : i + 500]))
            .order_by(col(GuardianSignatureRow.submitted_at), col(GuardianSignatureRow.pubkey))
        )
        for row in (await session.exec(stmt)).all():
            out.setdefault(row.attestation_id, []).append(row)
    return out


async def pending_attestations(
    session: AsyncSession, *, limit: int, after_sequence: int | None = None
) -> list[AttestationRow]:
    """Attestations waiting for guardian signatures, oldest first."""
    stmt = (
        select(AttestationRow)
        .where(AttestationRow.finality == "pending")
        .order_by(col(AttestationRow.sequence))
        .limit(limit)
    )
    if after_sequence is not None:
        stmt = stmt.where(AttestationRow.sequence > after_sequence)
    return list((await session.exec(stmt)).all())


async def latest_final(session: AsyncSession) -> AttestationRow | None:
    stmt = (
        select(AttestationRow).where(AttestationRow.finality == "final").order_by(col(AttestationRow.sequence).desc())
    )
    return (await session.exec(stmt.limit(1))).first()
