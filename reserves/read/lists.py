"""Lists the area pages show: the newest attestation's counted UTXOs, and attestations page by page
from their stored columns (never whole documents)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reserves.read.display import btc
from reserves.read.reserves import LockedUntil
from reserves.read.views import AttestationSummary, row_summary
from reserves.storage import repository as repo

MAX_UTXOS = 500  # a page lists the largest ones; the JSON document holds them all


@dataclass(frozen=True)
class UtxoView:
    txid: str
    vout: int
    value_sat: str
    value_btc: str
    height: int
    confirmations: int | None  # at the tip the reserves were read at
    address: str | None
    wallet: str
    source: str
    locked_until: LockedUntil | None


@dataclass(frozen=True)
class UtxoList:
    attestation_id: str
    sequence: int
    total: int  # counted outputs in the attestation
    shown: list[UtxoView] = field(default_factory=list)  # the largest, at most MAX_UTXOS


def utxo_list(attestation_id: str, body: dict[str, Any], limit: int = MAX_UTXOS) -> UtxoList:
    """The counted outputs of one attestation body, largest first (ties by outpoint)."""
    tip = (body["reserves"].get("valid_at") or {}).get("height")
    rows = []
    for src in body["reserves"]["sources"]:
        for u in src.get("utxos", []):
            rows.append((src["name"], u))
    rows.sort(key=lambda r: (-int(r[1]["value_sat"]), r[1]["txid"], r[1]["vout"]))
    shown = [_utxo(source, u, tip) for source, u in rows[:limit]]
    return UtxoList(attestation_id, body["sequence"], len(rows), shown)


def _utxo(source: str, u: dict[str, Any], tip: int | None) -> UtxoView:
    lock = u.get("lock")
    until = None
    if lock:
        until = LockedUntil(lock["until"], None) if lock["kind"] == "height" else LockedUntil(None, lock["until"])
    return UtxoView(
        txid=u["txid"],
        vout=u["vout"],
        value_sat=u["value_sat"],
        value_btc=btc(u["value_sat"]),
        height=u["height"],
        confirmations=None if tip is None else tip - u["height"] + 1,
        address=u.get("address"),
        wallet=u.get("wallet") or source,
        source=source,
        locked_until=until,
    )


@dataclass(frozen=True)
class AttestationRow:
    """One line of the attestations page: the list's summary and its finality."""

    summary: AttestationSummary
    finality: str


@dataclass(frozen=True)
class AttestationList:
    items: list[AttestationRow]
    next_before: int | None  # the sequence to continue below, when there are more


async def attestation_list(session, *, before: int | None, limit: int) -> AttestationList:
    """Newest first below sequence `before`, from the stored columns only."""
    rows = await repo.list_attestations(session, before_sequence=before, limit=limit + 1, documents=False)
    more, rows = len(rows) > limit, rows[:limit]
    items = [AttestationRow(row_summary(r), r.finality) for r in rows]
    return AttestationList(items, rows[-1].sequence if more and rows else None)
