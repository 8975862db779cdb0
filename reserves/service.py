"""ReserveService: the one service layer behind both the JSON API and the dashboard."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from reserves import views
from reserves.errors import InvalidInput, NotFound
from reserves.storage import repository as repo
from reserves.storage.db import Database
from reserves.settings import Settings

DEFAULT_PAGE = 50
MAX_PAGE = 500
MAX_HISTORY_POINTS = 2000
_ID = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None
    limit: int


def encode_cursor(sequence: int) -> str:
    return base64.urlsafe_b64encode(f"s:{sequence}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Cursors are opaque to clients; anything we did not make is a 400, never a 500."""
    if len(cursor) > 64:
        raise InvalidInput("cursor: too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("cursor: not a cursor returned by this API") from exc
    if not raw.startswith("s:") or not raw[2:].isdigit() or len(raw) > 22:
        raise InvalidInput("cursor: not a cursor returned by this API")
    return int(raw[2:])


class ReserveService:
    """Reads stored attestations and builds read models; never calls a chain."""

    def __init__(self, db: Database, settings: Settings, active_pubkeys: list[tuple[str, str]] | None = None):
        self.db = db
        self.settings = settings
        self.active_pubkeys = active_pubkeys or []  # (pubkey, key_id) of keys configured to sign

    async def latest(self) -> dict[str, Any]:
        async with self.db.sessions() as session:
            row = await repo.latest_attestation(session)
        if row is None:
            raise NotFound("no attestation has been published yet")
        return _envelope(row)

    async def get(self, attestation_id: str) -> dict[str, Any]:
        if not _ID.match(attestation_id):
            raise InvalidInput("id: must be 64 lowercase hex characters (SHA-256 of the canonical body)")
        async with self.db.sessions() as session:
            row = await repo.get_attestation(session, attestation_id)
        if row is None:
            raise NotFound(f"no attestation with id {attestation_id}")
        return _envelope(row)

    async def page(self, *, cursor: str | None = None, limit: int = DEFAULT_PAGE) -> Page:
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit: must be from 1 to {MAX_PAGE}")
        before = decode_cursor(cursor) if cursor else None
        async with self.db.sessions() as session:
            rows = await repo.list_attestations(session, before_sequence=before, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return Page([_envelope(r) for r in rows], encode_cursor(rows[-1].sequence) if more else None, limit)

    async def keys(self) -> list[dict[str, Any]]:
        async with self.db.sessions() as session:
            rows = await repo.list_keys(session)
        out = {r.pubkey: {"alg": r.alg, "key_id": r.key_id, "pubkey": r.pubkey,
                          "first_used_at": _iso(repo.utc(r.first_used_at)), "active": r.active} for r in rows}
        for pubkey, key_id in self.active_pubkeys:
            out.setdefault(pubkey, {"alg": "bip340", "key_id": key_id, "pubkey": pubkey,
                                    "first_used_at": None, "active": True})
        return list(out.values())

    async def dashboard(self, *, recent: int = 10, now: datetime | None = None) -> views.DashboardView:
        now = now or datetime.now(timezone.utc)
        s = self.settings
        base = dict(devnet=s.devnet.enabled, token_symbol=s.portal.token_symbol, issuer_name=s.portal.issuer_name,
                    signer_pubkeys=[p for p, _ in self.active_pubkeys])
        async with self.db.sessions() as session:
            rows = await repo.list_attestations(session, before_sequence=None, limit=recent)
        if not rows:
            return views.DashboardView(has_data=False, **base)
        latest = rows[0]
        body = json.loads(latest.document)
        return views.DashboardView(
            has_data=True, status=body["status"], status_reasons=list(body["status_reasons"]),
            ratio_bp=body["ratio_bp"], ratio_percent=views.percent(body["ratio_bp"]),
            reserves_sat=body["reserves"]["total_sat"], reserves_btc=views.btc(body["reserves"]["total_sat"]),
            utxo_count=body["reserves"]["utxo_count"],
            liabilities_sat=body["supply"]["total_sat"], liabilities_btc=views.btc(body["supply"]["total_sat"]),
            attestation_id=latest.id, sequence=latest.sequence, issued_at=body["issued_at"],
            age_seconds=views.age_seconds(repo.utc(latest.issued_at), now),
            reserve_sources=[views.reserve_source_view(x) for x in body["reserves"]["sources"]],
            deployments=[views.deployment_view(x) for x in body["supply"]["deployments"]],
            recent=[views.summary(r.id, json.loads(r.document)) for r in rows],
            **base,
        )

    async def history(self, *, start: datetime | None, end: datetime | None, bucket_seconds: int | None) -> dict:
        end = end or datetime.now(timezone.utc) + timedelta(seconds=1)
        if end.tzinfo is None or (start is not None and start.tzinfo is None):
            raise InvalidInput("from/to: give a time zone (e.g. 2026-11-22T00:00:00Z)")
        try:  # near year 1 or 9999 the default range or the shift to UTC leaves what datetime can hold
            end = end.astimezone(timezone.utc)
            start = (start or end - timedelta(days=1)).astimezone(timezone.utc)
        except OverflowError as exc:
            raise InvalidInput("from/to: out of range") from exc
        if start >= end:
            raise InvalidInput("from: must be before to")
        span = (end - start).total_seconds()
        bucket = bucket_seconds or max(1, int(span // 500) or 1)
        if not 1 <= bucket <= 366 * 86400:
            raise InvalidInput("bucket: seconds from 1 to 31622400")
        if span / bucket > MAX_HISTORY_POINTS:
            raise InvalidInput(f"bucket: too small for this range (at most {MAX_HISTORY_POINTS} buckets)")
        async with self.db.sessions() as session:
            buckets = await repo.ratio_history(session, start=start, end=end, bucket_seconds=bucket)
        return {"from": _iso(start), "to": _iso(end), "bucket_seconds": bucket,
                "points": [_bucket(b) for b in buckets]}

    async def health(self) -> dict[str, Any]:
        async with self.db.sessions() as session:
            row = await repo.latest_attestation(session)
        age = None if row is None else views.age_seconds(repo.utc(row.issued_at), datetime.now(timezone.utc))
        return {"status": "ok", "database": "ok", "latest_sequence": None if row is None else row.sequence,
                "latest_age_seconds": age, "latest_status": None if row is None else row.status}


def _bucket(b: repo.Bucket) -> dict[str, Any]:
    s = lambda v: None if v is None else str(v)  # noqa: E731  (amounts as decimal strings)
    return {"start": _iso(b.start), "points": b.points, "min_ratio_bp": s(b.min_ratio_bp),
            "max_ratio_bp": s(b.max_ratio_bp), "last_ratio_bp": s(b.last_ratio_bp),
            "last_reserves_sat": str(b.last_reserves_sat), "last_liabilities_sat": str(b.last_liabilities_sat),
            "last_status": b.last_status}


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _envelope(row) -> dict[str, Any]:
    return {"id": row.id, "attestation": json.loads(row.document)}
