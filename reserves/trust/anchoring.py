"""Anchoring: each final attestation id is published on an EVM chain, in sequence order, and the transaction recorded.

The job takes final attestations newer than the last one anchored, oldest first, a few per run.
Each gets a row before its transaction is sent (status `sending`), then `sent` with the hash,
then `confirmed` with the block once the receipt is `confirmations` deep, or `refused` (the
contract reverted: wrong signer, not newer) or `error` (retried next run). A crash between send
and record, or a receipt that came too late, is resolved on the next run by asking the contract
whether it holds the id. Only the configured sender may anchor (the contract's `publisher`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Any

from sqlmodel import col, select

from chains.errors import ChainDataError, ChainError, ChainUnavailable
from reserves.attestation import eip712
from reserves.read.display import iso
from reserves.settings.trust import AnchorSettings
from reserves.storage import documents
from reserves.storage.db import Database
from reserves.storage.engine_models import AnchorRow
from reserves.storage.models import AttestationRow

log = logging.getLogger(__name__)
PER_RUN = 5


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _signature(document: dict) -> bytes | None:
    entry = next((s for s in document["signatures"] if s.get("alg") == "eip712"), None)
    return None if entry is None else bytes.fromhex(entry["sig"][2:])


async def _candidates(session) -> list[AttestationRow]:
    """Final attestations after the last one anchored (or being anchored), oldest first, minus refused ones."""
    last = (
        await session.exec(
            select(AnchorRow)
            .where(col(AnchorRow.status).in_(("sending", "sent", "confirmed")))
            .order_by(col(AnchorRow.sequence).desc())
            .limit(1)
        )
    ).first()
    stmt = select(AttestationRow).where(AttestationRow.finality == "final").order_by(col(AttestationRow.sequence))
    if last is not None:
        stmt = stmt.where(AttestationRow.sequence > last.sequence)
    rows = list((await session.exec(stmt.limit(PER_RUN * 4))).all())
    if not rows:
        return []
    refused = set(
        (
            await session.exec(
                select(AnchorRow.attestation_id).where(
                    col(AnchorRow.attestation_id).in_([r.id for r in rows]), AnchorRow.status == "refused"
                )
            )
        ).all()
    )
    return [r for r in rows if r.id not in refused][:PER_RUN]


async def _save(db, row: AnchorRow) -> None:
    async with db.sessions() as session:
        async with session.begin():
            await session.merge(row)


class Anchorer:
    """Publishes final attestation ids through `client` (chains.evm.anchor.AnchorClient) as `settings` say."""

    def __init__(self, db: Database, client: Any, settings: AnchorSettings) -> None:
        self.db, self.client, self.settings = db, client, settings

    async def resolve_unsent(self) -> None:
        """Rows left in `sending` by a crash: confirmed when the contract holds the id, else retried."""
        async with self.db.sessions() as session:
            stuck = list((await session.exec(select(AnchorRow).where(AnchorRow.status == "sending"))).all())
        for row in stuck:
            try:
                record = await self.client.record(bytes.fromhex(row.attestation_id))
            except ChainError as exc:
                log.warning("anchor: cannot check %s: %s", row.attestation_id[:12], exc.detail)
                continue
            row.status = "confirmed" if record["anchored_at"] else "error"
            row.error = None if record["anchored_at"] else "the transaction was never recorded; retrying"
            await _save(self.db, row)

    async def _already_anchored(self, att: AttestationRow) -> AnchorRow | None:
        """An earlier try whose transaction may have been mined after all (a receipt timeout): ask the contract."""
        async with self.db.sessions() as session:
            earlier = await session.get(AnchorRow, att.id)
        if earlier is None or earlier.tx_hash is None:
            return None
        record = await self.client.record(bytes.fromhex(att.id))
        if not record["anchored_at"]:
            return None
        earlier.status, earlier.error, earlier.confirmed_at = "confirmed", None, _now()
        await _save(self.db, earlier)
        return earlier

    async def anchor_one(self, att: AttestationRow) -> AnchorRow:
        s = self.settings
        try:
            done = await self._already_anchored(att)
        except ChainError as exc:
            log.warning("anchor: cannot check %s: %s", att.id[:12], exc.detail)
            done = None
        if done is not None:
            return done
        document = documents.document(att)
        row = AnchorRow(
            attestation_id=att.id,
            sequence=att.sequence,
            chain_id=s.chain_id,
            contract=s.contract,
            status="sending",
            submitted_at=_now(),
        )
        sig = _signature(document)
        if sig is None:
            row.status, row.error = "refused", "the attestation has no EIP-712 signature (format before 4)"
            await _save(self.db, row)
            return row
        body = {k: v for k, v in document.items() if k != "signatures"}
        await _save(self.db, row)
        try:
            row.tx_hash = await self.client.send(eip712.message(att.id, body), sig)
            row.status = "sent"
            await _save(self.db, row)
            receipt = await self.client.wait(row.tx_hash)
            await self._deep_enough(receipt.block_number, s.confirmations, s.timeout_seconds)
            row.block_number = receipt.block_number
            row.status = "confirmed" if receipt.succeeded else "refused"
            row.error = None if receipt.succeeded else "the transaction reverted"
            row.confirmed_at = _now() if receipt.succeeded else None
        except ChainDataError as exc:
            row.status, row.error = "refused", exc.detail[:500]
        except ChainError as exc:
            row.status, row.error = "error", exc.detail[:500]
        await _save(self.db, row)
        return row

    async def _deep_enough(self, block: int, confirmations: int, timeout: float) -> None:
        """Wait until `block` has `confirmations` blocks on it (itself included); ChainError on timeout."""
        deadline = time.monotonic() + timeout
        while confirmations > 1 and await self.client.block_number() < block + confirmations - 1:
            if time.monotonic() > deadline:
                raise ChainUnavailable(f"block {block} not {confirmations} deep within {timeout:g} s")
            await asyncio.sleep(1.0)

    async def run(self) -> None:
        """Anchor the next final attestations, in order; a failure is recorded and retried next run."""
        await self.resolve_unsent()
        async with self.db.sessions() as session:
            todo = await _candidates(session)
        for att in todo:
            row = await self.anchor_one(att)
            log.info("anchor %d %s: %s %s", att.sequence, att.id[:12], row.status, row.tx_hash or row.error or "")
            if row.status == "error":
                break  # the chain is not answering: try again next run, in order


async def anchors_page(session, limit: int) -> list[dict]:
    rows = (await session.exec(select(AnchorRow).order_by(col(AnchorRow.sequence).desc()).limit(limit))).all()
    return [
        {
            "attestation_id": r.attestation_id,
            "sequence": r.sequence,
            "chain_id": r.chain_id,
            "contract": r.contract,
            "tx_hash": r.tx_hash,
            "block_number": r.block_number,
            "status": r.status,
            "error": r.error,
            "submitted_at": iso(r.submitted_at),
            "confirmed_at": iso(r.confirmed_at),
        }
        for r in rows
    ]
