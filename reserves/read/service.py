"""ReserveService: the one service layer behind both the JSON API and the dashboard."""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from chains.hexes import is_hex64
from reserves.attestation.fields import MAX_NAME
from reserves.errors import InvalidInput, NotFound
from reserves.read import dashboard, history_chart, lists, status_feed, stored, views
from reserves.read import history as history_mod
from reserves.read import reserves as rviews
from reserves.read import supply as supply_views
from reserves.read.display import iso
from reserves.read.history_chart import HistoryChart
from reserves.read.workers import live_workers, worker_summary
from reserves.settings.model import Settings
from reserves.storage import documents
from reserves.storage import repository as repo
from reserves.storage.db import Database
from reserves.trust.guardians import with_guardians

log = logging.getLogger(__name__)

DEFAULT_PAGE = 50
MAX_PAGE = 500
MAX_VERSION = 2**53 - 1
MAX_PAGE_BYTES = stored.MAX_PAGE_BYTES
HEALTH_TIMEOUT_SECONDS = 5.0
FUTURE_TOLERANCE = timedelta(seconds=60)


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
    if not raw.startswith("s:") or not raw[2:].isdigit() or len(raw) > 18 or int(raw[2:]) >= 2**53:
        raise InvalidInput("cursor: not a cursor returned by this API")
    # Only the one spelling we make (the OpenAPI pattern's): no stray characters, no odd last bits.
    if base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=") != cursor:
        raise InvalidInput("cursor: not a cursor returned by this API")
    return int(raw[2:])


class ReserveService:
    """Reads stored attestations and builds read models; never calls a chain."""

    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.settings = settings
        self.started_at = datetime.now(timezone.utc)

    async def latest(self, *, final: bool = False) -> dict[str, Any]:
        """The newest attestation (with `final`, the newest final one), guardian signatures appended."""
        async with self.db.sessions() as session:
            row = await (repo.latest_final(session) if final else repo.latest_attestation(session))
            if row is None:
                raise NotFound("no final attestation yet" if final else "no attestation has been published yet")
            return (await _envelopes(session, [row]))[0]

    async def get(self, attestation_id: str) -> dict[str, Any]:
        if not is_hex64(attestation_id):
            raise InvalidInput("id: must be 64 lowercase hex characters (SHA-256 of the canonical body)")
        async with self.db.sessions() as session:
            row = await repo.get_attestation(session, attestation_id)
            if row is None:
                raise NotFound(f"no attestation with id {attestation_id}")
            return (await _envelopes(session, [row]))[0]

    async def next_id(self, attestation_id: str) -> str | None:
        """The id of the attestation after `attestation_id` (None while it is the newest)."""
        async with self.db.sessions() as session:
            return await repo.next_attestation_id(session, attestation_id)

    async def page(self, *, cursor: str | None = None, limit: int = DEFAULT_PAGE) -> Page:
        """Newest first, at most `limit` items and MAX_PAGE_BYTES of documents (reserves.read.stored)."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit: must be from 1 to {MAX_PAGE}")
        before = decode_cursor(cursor) if cursor else None
        async with self.db.sessions() as session:
            page = await stored.page_heads(session, limit, cursor=before, max_bytes=MAX_PAGE_BYTES)
            items = await stored.envelopes(session, page.heads)
        return Page(items, encode_cursor(page.heads[-1].sequence) if page.more and page.heads else None, limit)

    async def reserve_set(self, version: int | None = None) -> rviews.ReserveSetVersionView:
        """One reserve-set version with its declaration (the newest when `version` is None)."""
        if version is not None and (
            isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION
        ):
            raise InvalidInput(f"version: must be an integer from 1 to {MAX_VERSION}")
        async with self.db.sessions() as session:
            row = await (
                repo.latest_reserve_set(session) if version is None else repo.get_reserve_set(session, version)
            )
        if row is None:
            raise NotFound(
                "no reserve set has been recorded yet" if version is None else f"no reserve-set version {version}"
            )
        return rviews.version_view(row, with_declaration=True)

    async def reserve_set_versions(self, *, cursor: str | None = None, limit: int = DEFAULT_PAGE) -> dict[str, Any]:
        """Versions newest first, without declarations; `next_cursor` continues the walk."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit: must be from 1 to {MAX_PAGE}")
        before = decode_cursor(cursor) if cursor else None
        async with self.db.sessions() as session:
            rows = await repo.list_reserve_sets(session, before_version=before, limit=limit + 1)
        more, rows = len(rows) > limit, rows[:limit]
        return {
            "items": [rviews.version_view(r) for r in rows],
            "next_cursor": encode_cursor(rows[-1].version) if more and rows else None,
            "limit": limit,
        }

    async def wallets(self) -> rviews.WalletsView:
        """Per-wallet totals of the newest attestation, labelled from the reserve set it used."""
        async with self.db.sessions() as session:
            row = await repo.latest_attestation(session)
            if row is None:
                raise NotFound("no attestation has been published yet")
            return await self._wallets(session, row)

    async def utxos(self) -> lists.UtxoList:
        """The newest attestation's counted outputs, largest first (at most lists.MAX_UTXOS)."""
        row = await self._latest_row()
        if row is None:
            raise NotFound("no attestation has been published yet")
        return lists.utxo_list(row.id, documents.document(row))

    async def attestation_list(self, *, before: int | None = None, limit: int = DEFAULT_PAGE) -> lists.AttestationList:
        """Attestations newest first below sequence `before` (the pages' list; columns only)."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit: must be from 1 to {MAX_PAGE}")
        if before is not None and not 1 <= before < 2**53:
            raise InvalidInput("before: a sequence number from 1")
        async with self.db.sessions() as session:
            return await lists.attestation_list(session, before=before, limit=limit)

    async def supply(self, deployment: str | None = None) -> supply_views.SupplyView:
        """Token supply per deployment and in total, from the newest stored attestation only.

        `deployment` keeps one entry (by exact name); the total and rule stay those of the whole
        attestation. Raises NotFound before the first attestation or for an unknown deployment.
        """
        if deployment is not None and not 1 <= len(deployment) <= MAX_NAME:
            raise InvalidInput(f"deployment: a name of 1 to {MAX_NAME} characters")
        row = await self._latest_row()
        if row is None:
            raise NotFound("no attestation has been published yet")
        view = supply_views.supply_view(row.id, documents.document(row))
        if deployment is None:
            return view
        kept = [d for d in view.deployments if d.name == deployment]
        if not kept:
            raise NotFound(f"no deployment named {deployment!r} in attestation {view.sequence}")
        return dataclasses.replace(view, deployments=kept)

    async def _wallets(self, session, row) -> rviews.WalletsView:
        return await dashboard.wallets_of(session, row)

    @property
    def stale_after_seconds(self) -> int:
        """Past this age the newest attestation no longer speaks for now: snapshots have stopped."""
        return max(60, int(3 * self.settings.schedule.snapshot_interval_seconds))

    async def dashboard(self, *, recent: int = 10, now: datetime | None = None) -> views.DashboardView:
        """The dashboard from the newest attestation; shown `stale` once that is too old.

        The signed status stays in `published_status`: an old "healthy" must never be shown as
        the status of now (the job may have died, the database may be locked, a key may be gone).
        """
        now = now or datetime.now(timezone.utc)
        return self.as_of(await self.signed_dashboard(recent=recent, now=now), now)

    def as_of(self, view: views.DashboardView, now: datetime) -> views.DashboardView:
        """`view` (as signed: status = published_status) as it holds at `now`: its age, and `stale`
        once the attestation is older than `stale_after_seconds` or dated in the future.

        Cheap (no I/O): the web role's cached view (reserves.read.hot) goes through it per request."""
        if not view.has_data or view.issued_at is None:
            return view
        issued = datetime.fromisoformat(view.issued_at.replace("Z", "+00:00"))
        age = views.age_seconds(issued, now)
        signed = {"status": view.published_status, "status_reasons": view.status_reasons}
        status, reasons = self.status_now(signed, issued, now)
        since = None  # stale since: signed so, or past its age; unknown when dated in the future
        if status == "stale" and issued <= now + FUTURE_TOLERANCE:
            aged = view.published_status != "stale"
            since = iso(issued + timedelta(seconds=self.stale_after_seconds)) if aged else view.issued_at
        return dataclasses.replace(view, status=status, status_reasons=reasons, age_seconds=age, stale_since=since)

    async def signed_dashboard(
        self, *, recent: int = 10, now: datetime | None = None, reuse: views.DashboardView | None = None
    ) -> views.DashboardView:
        """The dashboard's figures as the newest attestation signed them (no staleness applied:
        `as_of` does that); the sparkline ends at `now`. With `reuse`, a view of the same newest
        attestation, what comes from its document is taken from there instead of read again."""
        return (await self.signed_overview(recent=recent, now=now, reuse=reuse)).view

    async def signed_overview(
        self, *, recent: int = 10, now: datetime | None = None, reuse: views.DashboardView | None = None
    ) -> views.Overview:
        """`signed_dashboard`'s view and the overview's compact ratio chart, drawn from the buckets
        the sparkline reads (one read for both)."""
        now = now or datetime.now(timezone.utc)
        async with self.db.sessions() as session:
            return await dashboard.read_overview(
                session, self.settings, self.stale_after_seconds, now=now, recent=recent, reuse=reuse
            )

    def status_now(self, body: dict[str, Any], issued: datetime, now: datetime) -> tuple[str, list[str]]:
        """The status of now from the newest attestation's signed one: `stale` once it is too old or
        dated in the future. The dashboard (as_of) and /metrics both say it this way."""
        age = views.age_seconds(issued, now)
        status, reasons = body["status"], list(body["status_reasons"])
        if issued > now + FUTURE_TOLERANCE:
            status = "stale"
            reasons.insert(0, "the newest attestation is dated in the future (a clock ran ahead): its age is unknown")
        elif age > self.stale_after_seconds:
            status = "stale"
            interval = self.settings.schedule.snapshot_interval_seconds
            reasons.insert(0, f"the newest attestation is {age} s old; one is due every {interval:g} s")
        return status, reasons

    async def gauges(self, now: datetime | None = None) -> views.Gauges | None:
        """What /metrics says of the newest attestation (one query), its status as the dashboard's;
        None before the first one."""
        now = now or datetime.now(timezone.utc)
        row = await self._latest_row()
        if row is None:
            return None
        body = documents.document(row)
        issued = repo.utc(row.issued_at)
        status, _ = self.status_now(body, issued, now)
        return views.gauges(row.sequence, body, status, views.age_seconds(issued, now), now)

    async def status_changes(self, limit: int = status_feed.MAX_CHANGES) -> status_feed.StatusChanges:
        """The newest changes of the published status, newest first (reserves.read.status_feed)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit: must be from 1 to {MAX_PAGE}")
        return await status_feed.status_changes(self.db, limit)

    async def history(
        self, *, start: datetime | None, end: datetime | None, bucket_seconds: int | None, deployment: str | None = None
    ) -> dict:
        """Bucketed min/max/last ratio, reserves and supply (reserves.read.history); one deployment's supply with
        `deployment`."""
        return await history_mod.history(
            self.db, start=start, end=end, bucket_seconds=bucket_seconds, deployment=deployment
        )

    async def history_chart(self, range_name: str, series: str, now: datetime | None = None) -> HistoryChart:
        """The history page's chart of a named range ending now (reserves.read.history_chart)."""
        return await history_chart.range_chart(
            self.db,
            range_name,
            series,
            now=now or datetime.now(timezone.utc),
            interval_seconds=self.settings.schedule.snapshot_interval_seconds,
        )

    async def _latest_row(self):
        async with self.db.sessions() as session:
            return await repo.latest_attestation(session)

    async def _latest_and_workers(self, now: datetime):
        async with self.db.sessions() as session:
            return await repo.latest_attestation(session), await live_workers(session, now)

    async def health(self) -> Health:
        """Readiness: `ok`, `starting` (no attestation yet, within stale_after of this process's
        start), or `degraded` (503) when the database fails, the newest attestation is stale or dated
        in the future, no live worker leads, or the leader's snapshots are refused."""
        now = datetime.now(timezone.utc)
        limit = self.stale_after_seconds
        try:
            row, workers = await asyncio.wait_for(self._latest_and_workers(now), HEALTH_TIMEOUT_SECONDS)
        except (TimeoutError, SQLAlchemyError) as exc:
            log.warning("readiness: database unavailable: %s", type(exc).__name__)
            unavailable = {"database": "unavailable", "stale_after_seconds": limit}
            return Health("degraded", ["database_unavailable"], unavailable)
        detail: dict[str, Any] = {
            "database": "ok",
            "latest_sequence": None,
            "latest_age_seconds": None,
            "latest_status": None,
            "stale_after_seconds": limit,
            **worker_summary(workers, now),
        }
        if row is None:
            if (now - self.started_at).total_seconds() <= limit:
                return Health("starting", [], detail)
            return Health("degraded", ["no_attestation"], detail)
        issued = repo.utc(row.issued_at)
        age = views.age_seconds(issued, now)
        detail.update(latest_sequence=row.sequence, latest_age_seconds=age, latest_status=row.status)
        reasons = []
        if age > limit:
            reasons.append("attestation_stale")
        if issued > now + FUTURE_TOLERANCE:
            # The chain was pinned to a clock that ran ahead: its age says nothing about now.
            reasons.append("attestation_in_future")
        # Fresh data is not enough: with no live leader, or one whose snapshots are refused, nothing
        # new will be published and the status will silently age; say so now, not at stale_after.
        if not detail["leader"]:
            reasons.append("no_leader")
        elif detail["last_snapshot_error"] is not None:
            reasons.append("snapshots_refused")
        return Health("degraded" if reasons else "ok", reasons, detail)


# The fixed codes of Health.reasons (docs/operations.md); never free text.
HEALTH_REASONS = (
    "database_unavailable",
    "no_attestation",
    "attestation_stale",
    "attestation_in_future",
    "no_leader",
    "snapshots_refused",
)
PUBLIC_HEALTH_FIELDS = ("database", "latest_sequence", "latest_age_seconds", "latest_status", "stale_after_seconds")


@dataclass(frozen=True)
class Health:
    """Readiness of the web role. `public()` is what anyone may see (fixed codes, ages, no host
    name, PID or error text); `operator()` adds the workers and the last refused snapshot."""

    status: str  # ok, starting, degraded
    reasons: list[str]
    detail: dict[str, Any]

    @property
    def http_status(self) -> int:
        return 503 if self.status == "degraded" else 200

    def public(self) -> dict[str, Any]:
        kept = {k: self.detail[k] for k in PUBLIC_HEALTH_FIELDS if k in self.detail}
        return {"status": self.status, "reasons": list(self.reasons), **kept}

    def operator(self) -> dict[str, Any]:
        return {"status": self.status, "reasons": list(self.reasons), **self.detail}


def _envelope(row, guardian_rows=()) -> dict[str, Any]:
    return {"id": row.id, "attestation": with_guardians(documents.document(row), list(guardian_rows))}


async def _envelopes(session, rows) -> list[dict[str, Any]]:
    signatures = await repo.guardian_signatures(session, [r.id for r in rows])
    return [_envelope(r, signatures.get(r.id, [])) for r in rows]
