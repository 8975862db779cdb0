"""Every SQL statement of reconciliation: token logs read, items replaced, links stored, the public listing."""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from reserves.errors import InvalidInput
from reserves.storage.reconcile_models import ReconcileItemRow, ReconcileLinkRow
from reserves.storage.supply_models import ZERO_ADDRESS, SupplyEventRow
from reserves.trust import audit


class LinkExists(InvalidInput):
    """A link for this event is already stored (links are never overwritten: submit a new event's)."""

    code = "link_exists"


async def supply_rows(session: AsyncSession, deployments: list[str]) -> list[SupplyEventRow]:
    """Mint/Burn logs and Transfers from or to 0x0 of `deployments` (plain transfers are not needed)."""
    if not deployments:
        return []
    stmt = select(SupplyEventRow).where(
        col(SupplyEventRow.deployment).in_(deployments),
        or_(
            col(SupplyEventRow.kind).in_(("mint", "burn")),
            col(SupplyEventRow.from_address) == ZERO_ADDRESS,
            col(SupplyEventRow.to_address) == ZERO_ADDRESS,
        ),
    )
    return list((await session.exec(stmt)).all())


async def tx_rows(session: AsyncSession, deployment: str, tx_hash: str) -> list[SupplyEventRow]:
    """Every stored log of one token transaction."""
    stmt = select(SupplyEventRow).where(SupplyEventRow.deployment == deployment, SupplyEventRow.tx_hash == tx_hash)
    return list((await session.exec(stmt)).all())


async def all_items(session: AsyncSession) -> list[ReconcileItemRow]:
    return list((await session.exec(select(ReconcileItemRow))).all())


async def all_links(session: AsyncSession) -> list[ReconcileLinkRow]:
    return list((await session.exec(select(ReconcileLinkRow))).all())


async def get_link(session: AsyncSession, deployment: str, tx_hash: str, log_index: int) -> ReconcileLinkRow | None:
    stmt = select(ReconcileLinkRow).where(
        ReconcileLinkRow.deployment == deployment,
        ReconcileLinkRow.tx_hash == tx_hash,
        ReconcileLinkRow.log_index == log_index,
    )
    return (await session.exec(stmt)).first()


async def insert_link(session: AsyncSession, row: ReconcileLinkRow) -> ReconcileLinkRow:
    """Store `row` (and its audit entry) and commit; LinkExists when the event already has a link (checked by the
    unique key,
    so two concurrent submissions cannot both win)."""
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise LinkExists(f"event {row.tx_hash} log {row.log_index} on {row.deployment} already has a link") from exc
    # The operator's action is audited in the same transaction as the link itself.
    await audit.append(
        session,
        actor=row.created_by,
        action="admin.link",
        detail={
            "deployment": row.deployment,
            "tx_hash": row.tx_hash,
            "log_index": row.log_index,
            "btc_txid": row.btc_txid,
            "vout": row.vout,
            "note": row.note[:200],
        },
    )
    await session.commit()
    await session.refresh(row)
    return row


async def status_counts(session: AsyncSession, deployment: str | None) -> dict[tuple[str, str], int]:
    """(kind, status) -> number of items, optionally of one deployment."""
    stmt = select(ReconcileItemRow.kind, ReconcileItemRow.status, func.count()).group_by(
        ReconcileItemRow.kind, ReconcileItemRow.status
    )
    if deployment is not None:
        stmt = stmt.where(ReconcileItemRow.deployment == deployment)
    return {(kind, status): int(n) for kind, status, n in (await session.exec(stmt)).all()}


async def list_items(
    session: AsyncSession, *, status: str | None, deployment: str | None, kind: str | None, limit: int
) -> list[ReconcileItemRow]:
    """Items, newest event first (block number, log index descending, then deployment)."""
    stmt = select(ReconcileItemRow)
    if status is not None:
        stmt = stmt.where(ReconcileItemRow.status == status)
    if deployment is not None:
        stmt = stmt.where(ReconcileItemRow.deployment == deployment)
    if kind is not None:
        stmt = stmt.where(ReconcileItemRow.kind == kind)
    stmt = stmt.order_by(
        col(ReconcileItemRow.first_seen_at).desc(),
        col(ReconcileItemRow.block_number).desc(),
        col(ReconcileItemRow.log_index).desc(),
        col(ReconcileItemRow.deployment),
    ).limit(limit)
    return list((await session.exec(stmt)).all())
