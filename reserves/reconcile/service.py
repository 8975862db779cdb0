"""The reconciliation read model (one function for the JSON API and the dashboard) and operator link submission."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from chains.hexes import EVM_HASH, HEX64
from reserves.errors import InvalidInput, NotFound
from reserves.reconcile import repository as repo
from reserves.reconcile import rules as r
from reserves.storage.db import Database
from reserves.storage.reconcile_models import ReconcileItemRow, ReconcileLinkRow
from reserves.storage.repository import utc
from reserves.storage.supply_models import ZERO_ADDRESS

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
MAX_NOTE_CHARS = 500
MAX_LOG_INDEX = 2**31 - 1
MAX_VOUT = 2**32 - 1
KINDS = ("mint", "burn")


class LinkNotNeeded(InvalidInput):
    """The event's own Mint/Burn log already says which deposit or address it is about."""

    code = "event_has_data"


class UnknownEvent(NotFound):
    code = "unknown_event"


def bad(code: str, detail: str) -> InvalidInput:
    """An InvalidInput (400) carrying a specific machine code."""
    exc = InvalidInput(detail)
    exc.code = code
    return exc


class ReconcileService:
    """Reads and writes reconciliation data; `deployments` are the configured deployment names."""

    def __init__(self, db: Database, deployments: list[str]) -> None:
        self.db = db
        self.deployments = list(deployments)

    async def view(
        self,
        *,
        status: str | None = None,
        deployment: str | None = None,
        kind: str | None = None,
        limit: str | int | None = None,
    ) -> dict[str, Any]:
        """Counts per status (of the deployment when filtered) and the newest items matching the filter.

        Raw query values are checked here: unknown status (invalid_status), kind (invalid_kind) or
        deployment (unknown_deployment), limit not an integer from 1 to 500 (invalid_limit): 400.
        """
        limit = _limit(limit)
        if status is not None and status not in r.STATUSES:
            raise bad("invalid_status", f"status must be one of {', '.join(r.STATUSES)}")
        if kind is not None and kind not in KINDS:
            raise bad("invalid_kind", "kind must be mint or burn")
        if deployment is not None and deployment not in self.deployments:
            raise bad("unknown_deployment", "no deployment of that name is configured")
        async with self.db.sessions() as session:
            counts = await repo.status_counts(session, deployment)
            rows = await repo.list_items(session, status=status, deployment=deployment, kind=kind, limit=limit)
        mints = {s: counts.get(("mint", s), 0) for s in r.MINT_STATUSES}
        burns = {s: counts.get(("burn", s), 0) for s in r.BURN_STATUSES}
        return {
            "summary": {
                "mints": mints,
                "burns": burns,
                "total": sum(mints.values()) + sum(burns.values()),
                "attention": mints["unreconciled"] + burns["unreleased"],
            },
            "filter": {"status": status, "deployment": deployment, "kind": kind, "limit": limit},
            "items": [item_json(row) for row in rows],
        }

    async def add_link(
        self,
        *,
        deployment: Any,
        tx_hash: Any,
        log_index: Any,
        btc_txid: Any,
        vout: Any,
        note: Any = "",
        created_by: str = "admin",
    ) -> dict[str, Any]:
        """Store an operator link from a token mint/burn (its Transfer log) to a Bitcoin output.

        Strict: the deployment must be configured, the event stored by the monitor as a Transfer from
        or to 0x0 without a Mint/Burn log of its own, and not linked yet. Nothing is stored on error.
        """
        if not isinstance(deployment, str) or deployment not in self.deployments:
            raise bad("unknown_deployment", "no deployment of that name is configured")
        tx_hash, btc_txid = (
            _hex(tx_hash, EVM_HASH, "tx_hash", "0x and 64 hex digits"),
            _hex(btc_txid, HEX64, "btc_txid", "64 hex digits"),
        )
        log_index = _int(log_index, "log_index", MAX_LOG_INDEX)
        vout = _int(vout, "vout", MAX_VOUT)
        note = _note(note)
        async with self.db.sessions() as session:
            rows = await repo.tx_rows(session, deployment, tx_hash)
            event = next((e for e in rows if e.log_index == log_index), None)
            if event is None or event.kind != "transfer" or ZERO_ADDRESS not in (event.from_address, event.to_address):
                raise UnknownEvent(f"no mint or burn Transfer log {log_index} of {tx_hash} is stored for {deployment}")
            kind = "mint" if event.from_address == ZERO_ADDRESS else "burn"
            if any(e.kind == kind for e in rows):
                raise LinkNotNeeded(
                    f"the transaction has a {kind.capitalize()} log naming its "
                    f"{'deposit' if kind == 'mint' else 'address'}; links are for mints/burns without one"
                )
            row = ReconcileLinkRow(
                deployment=deployment,
                tx_hash=tx_hash,
                log_index=log_index,
                btc_txid=btc_txid,
                vout=vout,
                note=note,
                created_by=created_by[:100],
                created_at=datetime.now(timezone.utc),
            )
            row = await repo.insert_link(session, row)
        return {"link": link_json(row), "kind": kind}


def _limit(value: str | int | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    text = str(value)
    if not (text.isascii() and text.isdigit() and len(text) <= 4 and 1 <= int(text) <= MAX_LIMIT):
        raise bad("invalid_limit", f"limit must be an integer from 1 to {MAX_LIMIT}")
    return int(text)


def _hex(value: Any, pattern: re.Pattern[str], field: str, what: str) -> str:
    if not isinstance(value, str) or len(value) > 66 or not pattern.fullmatch(value.lower()):
        raise bad(f"invalid_{field}", f"{field} must be {what}")
    return value.lower()


def _int(value: Any, field: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise bad(f"invalid_{field}", f"{field} must be an integer from 0 to {maximum}")
    return value


def _note(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_NOTE_CHARS or not value.isprintable():
        raise bad("invalid_note", f"note must be printable text of at most {MAX_NOTE_CHARS} characters")
    return value.strip()


def item_json(row: ReconcileItemRow) -> dict[str, Any]:
    """One item as the API shows it: amounts as decimal strings, times in ISO 8601 UTC."""

    def amount(v: int | None) -> str | None:
        return None if v is None else str(v)

    return {
        "deployment": row.deployment,
        "chain_id": row.chain_id,
        "kind": row.kind,
        "block_number": row.block_number,
        "log_index": row.log_index,
        "tx_hash": row.tx_hash,
        "amount": str(row.amount),
        "status": row.status,
        "reason": row.reason,
        "detail": row.detail,
        "bitcoin": {
            "txid": row.btc_txid,
            "vout": row.btc_vout,
            "address": row.btc_address,
            "value_sat": amount(row.value_sat),
            "confirmations": row.confirmations,
        },
        "expected": amount(row.expected),
        "actual": amount(row.actual),
        "age_blocks": row.age_blocks,
        "linked": row.link_id is not None,
        "first_seen_at": utc(row.first_seen_at).isoformat(),
        "checked_at": None if row.checked_at is None else utc(row.checked_at).isoformat(),
    }


def link_json(row: ReconcileLinkRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "deployment": row.deployment,
        "tx_hash": row.tx_hash,
        "log_index": row.log_index,
        "btc_txid": row.btc_txid,
        "vout": row.vout,
        "note": row.note,
        "created_by": row.created_by,
        "created_at": utc(row.created_at).isoformat(),
    }
