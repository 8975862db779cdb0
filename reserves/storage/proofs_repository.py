"""The SQL of proofs of control: challenges and proofs, behind small async functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from reserves.storage.proof_models import ChallengeRow, ProofRow


async def insert_challenge(session: AsyncSession, row: ChallengeRow) -> None:
    session.add(row)
    await session.flush()


async def get_challenge(session: AsyncSession, challenge_id: str) -> ChallengeRow | None:
    return await session.get(ChallengeRow, challenge_id)


async def insert_proof(session: AsyncSession, row: ProofRow) -> ProofRow:
    session.add(row)
    await session.flush()
    return row


async def proofs_for_challenge(session: AsyncSession, challenge_id: str, *, limit: int = 200) -> list[ProofRow]:
    stmt = (
        select(ProofRow)
        .where(ProofRow.challenge_id == challenge_id)
        .order_by(col(ProofRow.submitted_at).desc(), col(ProofRow.id).desc())
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


@dataclass(frozen=True)
class KeySetProof:
    """The newest valid proof (by challenge block time) of one wallet signed by one set of declared keys."""

    wallet: str | None
    signer_keys: str  # JSON list of key ids, as stored
    proven_at: datetime


async def fresh_key_sets(session: AsyncSession, since: datetime) -> list[KeySetProof]:
    """Per (wallet, set of signing keys), the newest valid proof whose challenge block is at or after `since`.

    Grouped in SQL: a wallet has few distinct signer sets (subsets of its N keys), however many
    rounds of proofs were stored, so the answer stays small.
    """
    stmt = (
        select(ProofRow.wallet, ProofRow.signer_keys, func.max(ProofRow.proven_at))
        .where(ProofRow.outcome == "valid", ProofRow.proven_at >= since)
        .group_by(ProofRow.wallet, ProofRow.signer_keys)
    )
    return [KeySetProof(w, k, t) for w, k, t in (await session.exec(stmt)).all()]


async def latest_valid_per_address(session: AsyncSession, addresses: list[str]) -> dict[str, ProofRow]:
    """The newest valid proof (by challenge block time) of each address that has one, fresh or not."""
    out: dict[str, ProofRow] = {}
    # Chunks keep the IN list within every backend's bound-parameter limit.
    for i in range(0, len(addresses), 500):
        chunk = addresses[i : i + 500]
        newest = (
            select(ProofRow.address, func.max(ProofRow.proven_at).label("proven_at"))
            .where(ProofRow.outcome == "valid", col(ProofRow.address).in_(chunk))
            .group_by(ProofRow.address)
            .subquery()
        )
        stmt = (
            select(ProofRow)
            .join(newest, (col(ProofRow.address) == newest.c.address) & (col(ProofRow.proven_at) == newest.c.proven_at))
            .where(ProofRow.outcome == "valid")
            .order_by(col(ProofRow.id).desc())
        )
        for row in (await session.exec(stmt)).all():
            out.setdefault(row.address, row)
    return out


async def proven_addresses(session: AsyncSession, *, limit: int = 10_000) -> list[str]:
    """Addresses that have at least one valid proof (to list proven addresses without coins too)."""
    stmt = select(ProofRow.address).where(ProofRow.outcome == "valid").distinct().limit(limit)
    return list((await session.exec(stmt)).all())


async def prune_public(session: AsyncSession, before: datetime) -> int:
    """Delete public challenges created before `before`, and their proofs; how many challenges went.

    Public challenges are answered by the portal's own online key on every allowed request; once
    older than the freshness window they prove nothing more, and keeping them would let callers
    grow the database without bound. Operator challenges and their proofs are the audit record:
    never deleted.
    """
    old = select(ChallengeRow.id).where(ChallengeRow.purpose == "public", ChallengeRow.created_at < before)
    await session.exec(delete(ProofRow).where(col(ProofRow.challenge_id).in_(old)))
    result = await session.exec(
        delete(ChallengeRow).where(col(ChallengeRow.purpose) == "public", col(ChallengeRow.created_at) < before)
    )
    return int(result.rowcount or 0)
