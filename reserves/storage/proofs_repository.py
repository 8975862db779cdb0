"""The SQL of proofs of control: challenges and proofs, behind small async functions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, text, tuple_
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


# Every read below walks an index (migration 0013) and touches a number of rows that grows with the
# distinct addresses and signer sets, never with the number of stored proofs: each allowed public
# challenge stores proofs, and 1M of them must not slow the status page (it took 2.9 s).
MAX_KEY_SETS = 10_000


async def _key_sets(session: AsyncSession) -> list[tuple[str, str]]:
    """Distinct (wallet, signer_keys) of valid proofs, one index step each (a loose index scan)."""
    out: list[tuple[str, str]] = []
    pair = (col(ProofRow.wallet), col(ProofRow.signer_keys))
    while len(out) < MAX_KEY_SETS:
        stmt = (
            select(ProofRow.wallet, ProofRow.signer_keys)
            .where(ProofRow.outcome == "valid", col(ProofRow.wallet).is_not(None))
            .order_by(*pair)
            .limit(1)
        )
        if out:
            stmt = stmt.where(tuple_(*pair) > tuple_(*out[-1]))
        found = (await session.exec(stmt)).first()
        if found is None:
            break
        out.append((str(found[0]), str(found[1])))
    return out


async def _newest_of_set(session: AsyncSession, wallet: str, signer_keys: str, since: datetime | None):
    """(proven_at, challenge_id) of the newest valid proof of one signer set (at or after `since`), or None."""
    stmt = (
        select(ProofRow.proven_at, ProofRow.challenge_id)
        .where(ProofRow.outcome == "valid", ProofRow.wallet == wallet, ProofRow.signer_keys == signer_keys)
        .order_by(col(ProofRow.proven_at).desc(), col(ProofRow.id).desc())
        .limit(1)
    )
    if since is not None:
        stmt = stmt.where(ProofRow.proven_at >= since)
    return (await session.exec(stmt)).first()


async def fresh_key_sets(session: AsyncSession, since: datetime) -> list[KeySetProof]:
    """Per (wallet, set of signing keys), the newest valid proof whose challenge block is at or after `since`.

    A wallet has few distinct signer sets (subsets of its N keys), however many rounds of proofs
    were stored: each set costs two index lookups.
    """
    out = []
    for wallet, keys in await _key_sets(session):
        newest = await _newest_of_set(session, wallet, keys, since)
        if newest is not None:
            out.append(KeySetProof(wallet, keys, newest[0]))
    return out


def _newest_ids_sql(dialect: str) -> str:
    """The id of each address's newest valid proof (null without one): one backward index probe per address."""
    probe = (
        "SELECT q.id FROM control_proof q WHERE q.outcome = 'valid' AND q.address = a.value "
        "ORDER BY q.proven_at DESC, q.id DESC LIMIT 1"
    )
    pg = dialect == "postgresql"
    source = "unnest(CAST(:addresses AS varchar[])) AS a(value)" if pg else "json_each(:addresses) a"
    return f"SELECT ({probe}) AS id FROM {source}"


async def latest_valid_per_address(session: AsyncSession, addresses: list[str]) -> dict[str, ProofRow]:
    """The newest valid proof (by challenge block time, then id) of each address that has one, fresh or not."""
    out: dict[str, ProofRow] = {}
    # Textual SQL goes to the session's connection (session.exec is typed for select, update, delete).
    conn = await session.connection()
    dialect = conn.dialect.name
    for i in range(0, len(addresses), 500):
        chunk = addresses[i : i + 500]
        param = chunk if dialect == "postgresql" else json.dumps(chunk)
        found = await conn.execute(text(_newest_ids_sql(dialect)), {"addresses": param})
        ids = [r[0] for r in found.all() if r[0] is not None]
        if ids:
            for row in (await session.exec(select(ProofRow).where(col(ProofRow.id).in_(ids)))).all():
                out[row.address] = row
    return out


_DISTINCT_ADDRESSES = text(
    "WITH RECURSIVE a(address) AS ("
    " SELECT min(address) FROM control_proof WHERE outcome = 'valid'"
    " UNION ALL"
    " SELECT (SELECT min(p.address) FROM control_proof p WHERE p.outcome = 'valid' AND p.address > a.address)"
    " FROM a WHERE a.address IS NOT NULL"
    ") SELECT address FROM a WHERE address IS NOT NULL LIMIT :limit"
)


async def proven_addresses(session: AsyncSession, *, limit: int = 10_000) -> list[str]:
    """Addresses that have at least one valid proof (to list proven addresses without coins too), in order.

    A loose index scan: one index step per distinct address, however many proofs each has.
    """
    conn = await session.connection()
    return [r[0] for r in (await conn.execute(_DISTINCT_ADDRESSES, {"limit": limit})).all()]


async def kept_challenges(session: AsyncSession) -> set[str]:
    """Challenges holding what the status reads: the newest valid proof of an address or of a signer set."""
    newest = await latest_valid_per_address(session, await proven_addresses(session))
    kept = {p.challenge_id for p in newest.values()}
    for wallet, keys in await _key_sets(session):
        found = await _newest_of_set(session, wallet, keys, None)
        if found is not None:
            kept.add(found[1])
    return kept


async def oldest_public(
    session: AsyncSession, *, limit: int, keep: set[str], expired_by: datetime | None = None
) -> list[str]:
    """Ids of public challenges oldest first, except those in `keep`; with `expired_by`, only those whose ttl
    ended by then."""
    stmt = select(ChallengeRow.id).where(ChallengeRow.purpose == "public")
    if keep:
        stmt = stmt.where(col(ChallengeRow.id).not_in(sorted(keep)))
    if expired_by is not None:
        stmt = stmt.where(ChallengeRow.expires_at <= expired_by)
    stmt = stmt.order_by(col(ChallengeRow.created_at), col(ChallengeRow.id)).limit(limit)
    return list((await session.exec(stmt)).all())


async def count_public(session: AsyncSession) -> int:
    stmt = select(func.count()).select_from(ChallengeRow).where(ChallengeRow.purpose == "public")
    return int((await session.exec(stmt)).first() or 0)


async def delete_challenges(session: AsyncSession, ids: list[str]) -> int:
    """Delete these challenges and their proofs; how many challenges went."""
    gone = 0
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        await session.exec(delete(ProofRow).where(col(ProofRow.challenge_id).in_(chunk)))
        result = await session.exec(delete(ChallengeRow).where(col(ChallengeRow.id).in_(chunk)))
        gone += int(result.rowcount or 0)
    return gone


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
