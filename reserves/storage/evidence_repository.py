"""The SQL of SPV evidence: outpoint rows and headers by height, behind small async functions."""

from __future__ import annotations

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from reserves.storage.evidence_models import EvidenceHeaderRow, EvidenceOutpointRow

# Keeps IN lists and bulk writes within every backend's bound-parameter limit.
_CHUNK = 500


async def get_outpoint(session: AsyncSession, chain_id: str, txid: str, vout: int) -> EvidenceOutpointRow | None:
    return await session.get(EvidenceOutpointRow, (chain_id, txid, vout))


async def outpoints(
    session: AsyncSession, chain_id: str, txids: list[str]
) -> dict[tuple[str, int], EvidenceOutpointRow]:
    """Stored rows of any output of `txids`, by (txid, vout)."""
    found: dict[tuple[str, int], EvidenceOutpointRow] = {}
    unique = sorted(set(txids))
    for i in range(0, len(unique), _CHUNK):
        stmt = select(EvidenceOutpointRow).where(
            EvidenceOutpointRow.chain_id == chain_id, col(EvidenceOutpointRow.txid).in_(unique[i : i + _CHUNK])
        )
        for row in (await session.exec(stmt)).all():
            found[(row.txid, row.vout)] = row
    return found


async def save_outpoint(session: AsyncSession, row: EvidenceOutpointRow) -> None:
    """Insert or replace (after a reorg moved the transaction to another block)."""
    await session.merge(row)
    await session.flush()


async def headers_between(session: AsyncSession, chain_id: str, low: int, high: int) -> dict[int, tuple[str, str]]:
    """Stored headers with `low <= height <= high`: height -> (hash, header hex)."""
    # Columns, not entities: a bundle can need some 50,000 headers, read on the event loop.
    stmt = select(EvidenceHeaderRow.height, EvidenceHeaderRow.hash, EvidenceHeaderRow.header).where(
        EvidenceHeaderRow.chain_id == chain_id, EvidenceHeaderRow.height >= low, EvidenceHeaderRow.height <= high
    )
    return {height: (hash_, header) for height, hash_, header in (await session.exec(stmt)).all()}


async def save_headers(
    session: AsyncSession, chain_id: str, changed: dict[int, tuple[str, str]], removed: set[int]
) -> None:
    """Write new or replaced headers and drop stale ones (heights a reorg invalidated)."""
    gone = sorted(removed | set(changed))
    for i in range(0, len(gone), _CHUNK):
        await session.exec(
            delete(EvidenceHeaderRow).where(
                col(EvidenceHeaderRow.chain_id) == chain_id, col(EvidenceHeaderRow.height).in_(gone[i : i + _CHUNK])
            )
        )
    session.add_all(EvidenceHeaderRow(chain_id=chain_id, height=h, hash=v[0], header=v[1]) for h, v in changed.items())
    await session.flush()
