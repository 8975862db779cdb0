"""What the crowd asks for, kept in memory by each web process: the newest attestation (and the
newest final one) as the bytes the API serves, the dashboard's figures, and a bounded cache of
attestations by id.

Correctness first. One cheap statement (`marks`) reads, every `poll_seconds`, the newest
sequence and id, the newest final id, and how many guardian signatures each carries; when any of
it changed the view is rebuilt at once, so a new attestation or a guardian signature is served
within about `poll_seconds` (a quarter of a second by default). The dashboard's other figures (live
signers, the sparkline and the overview chart, reserve-set versions) are rebuilt at least every `rebuild_seconds`.
Staleness is never cached: `ReserveService.as_of` ages the signed figures at each request, so a
portal whose database went away keeps serving what it last read, and calls it `stale` on time.

An attestation's bytes are fixed by its id except for guardian signatures appended later, so each
entry's ETag is its id and its guardian-signature count; an entry with a guardian set is checked
again (one indexed count) when older than `revalidate_seconds`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import msgspec
from sqlalchemy import text

from chains.hexes import is_hex64
from reserves.errors import InvalidInput, NotFound
from reserves.read import views
from reserves.read.chart import Chart
from reserves.read.service import ReserveService
from reserves.read.tiers import TiersRead, tiers_read
from reserves.storage import repository as repo
from reserves.storage.db import Database
from reserves.trust.guardians import with_guardians

log = logging.getLogger(__name__)

_ENCODER = msgspec.json.Encoder()

# The newest attestation, the newest final one, and the guardian signatures each carries: every
# column comes from an index (attestation.sequence, guardian_signature's primary key).
_MARKS = text(
    """
    SELECT l.sequence, l.id,
           (SELECT count(*) FROM guardian_signature g WHERE g.attestation_id = l.id),
           f.id,
           (SELECT count(*) FROM guardian_signature g WHERE g.attestation_id = f.id)
    FROM (SELECT 1 AS one) AS base
    LEFT JOIN (SELECT sequence, id FROM attestation ORDER BY sequence DESC LIMIT 1) AS l ON true
    LEFT JOIN (SELECT id FROM attestation WHERE finality = 'final' ORDER BY sequence DESC LIMIT 1) AS f ON true
    """
)
_COUNT = text("SELECT count(*) FROM guardian_signature WHERE attestation_id = :id")


@dataclass(frozen=True)
class Doc:
    """One attestation as served: the envelope {id, attestation} as JSON bytes."""

    id: str
    body: bytes
    etag: str  # '"<id>.<guardian signatures>"'
    guardians: int
    has_guardian_set: bool  # False: the bytes can never change (cache forever)
    checked: float  # monotonic time the signature count was last read


@dataclass(frozen=True)
class Marks:
    sequence: int | None
    latest_id: str | None
    latest_guardians: int
    final_id: str | None
    final_guardians: int


def envelope_bytes(row: Any, guardian_rows: list) -> Doc:
    """The bytes GET /api/v1/attestations/{id} serves for `row` with its guardian signatures."""
    document = msgspec.json.decode(row.document)
    body = _ENCODER.encode({"id": row.id, "attestation": with_guardians(document, guardian_rows)})
    has_set = (document.get("signers") or {}).get("guardians") is not None
    return Doc(row.id, body, f'"{row.id}.{len(guardian_rows)}"', len(guardian_rows), has_set, time.monotonic())


class HotView:
    """The web process's in-memory view; `start()` begins polling, `stop()` ends it."""

    def __init__(
        self,
        db: Database,
        service: ReserveService,
        *,
        poll_seconds: float = 0.25,
        rebuild_seconds: float = 5.0,
        revalidate_seconds: float = 0.5,
        cache_bytes: int = 32 * 1024 * 1024,
    ):
        self.db, self.service = db, service
        self.poll_seconds, self.rebuild_seconds = poll_seconds, rebuild_seconds
        self.revalidate_seconds, self.cache_bytes = revalidate_seconds, cache_bytes
        self._marks: Marks | None = None
        self._read_once = False  # the documents were read at least once
        self._latest: Doc | None = None
        self._final: Doc | None = None
        self._dashboard: views.DashboardView | None = None
        self._chart: Chart | None = None  # the overview's, built with the dashboard
        self._built_at = 0.0
        self.generation = 0  # bumped at each rebuild
        self._memo: dict[Any, tuple[bytes, str]] = {}
        self._aged: tuple[tuple[int, int], views.DashboardView] | None = None
        self._tiers: tuple[str, TiersRead] | None = None  # of the newest attestation, by its id
        self._by_id: OrderedDict[str, Doc] = OrderedDict()
        self._by_id_bytes = 0
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._failing = False

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._poll(), name="hot-view")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _poll(self) -> None:
        while True:
            try:
                await self.refresh()
                if self._failing:
                    log.warning("hot view: the database answers again")
                self._failing = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not self._failing:
                    log.warning("hot view: refresh failed; serving the last view read", exc_info=exc)
                self._failing = True
            await asyncio.sleep(self.poll_seconds)

    async def refresh(self, *, force: bool = False) -> None:
        """Read the marks; rebuild what they say changed (everything when `rebuild_seconds` passed).
        `force`: rebuild everything and forget every cached document."""
        async with self._lock:
            marks = await self._read_marks()
            due = time.monotonic() - self._built_at >= self.rebuild_seconds
            if force:
                self._by_id.clear()
                self._by_id_bytes = 0
                self._marks = None  # every document read again, and the dashboard whole
                self._dashboard = None
            if force or marks != self._marks or due or self._dashboard is None:
                await self._rebuild(marks)

    async def _ready(self) -> None:
        if self._dashboard is None:
            await self.refresh()

    async def _read_marks(self) -> Marks:
        async with self.db.sessions() as session:
            row = (await (await session.connection()).execute(_MARKS)).one()
        return Marks(row[0], row[1], int(row[2] or 0), row[3], int(row[4] or 0))

    async def _rebuild(self, marks: Marks) -> None:
        # The documents first, and published at once: a new attestation is served even when the
        # dashboard's figures (a heavier read) are slow or fail.
        if marks != self._marks or self._read_once is False:
            latest = final = None
            async with self.db.sessions() as session:
                if marks.latest_id is not None:
                    latest = await self._doc(session, marks.latest_id)
                if marks.final_id is not None:
                    final = latest if marks.final_id == marks.latest_id else await self._doc(session, marks.final_id)
            self._latest, self._final, self._read_once = latest, final, True
            for doc in (latest, final):
                if doc is not None:
                    self._remember(doc)
        self._marks = marks
        # Then the dashboard: what comes from the newest document is reused while it stays the newest.
        overview = await self.service.signed_overview(now=datetime.now(timezone.utc), reuse=self._dashboard)
        self._dashboard, self._chart, self._built_at = overview.view, overview.chart, time.monotonic()
        self.generation += 1
        self._memo = {}

    async def _doc(self, session, attestation_id: str) -> Doc | None:
        row = await repo.get_attestation(session, attestation_id)
        if row is None:
            return None
        signatures = await repo.guardian_signatures(session, [row.id])
        return envelope_bytes(row, signatures.get(row.id, []))

    # -- reads ------------------------------------------------------------------------------

    async def latest(self, *, final: bool = False) -> Doc:
        if not self._read_once:
            await self.refresh()
        doc = self._final if final else self._latest
        if doc is None:
            raise NotFound("no final attestation yet" if final else "no attestation has been published yet")
        return doc

    async def get(self, attestation_id: str) -> Doc:
        """One attestation by id: from memory when its bytes are known to be current."""
        if not is_hex64(attestation_id):
            raise InvalidInput("id: must be 64 lowercase hex characters (SHA-256 of the canonical body)")
        doc = self._by_id.get(attestation_id)
        if doc is not None:
            fresh = not doc.has_guardian_set or time.monotonic() - doc.checked < self.revalidate_seconds
            if fresh or await self._count(attestation_id) == doc.guardians:
                if not fresh:
                    doc = _checked(doc)
                    self._remember(doc)
                else:
                    self._by_id.move_to_end(attestation_id)
                return doc
        async with self.db.sessions() as session:
            doc = await self._doc(session, attestation_id)
        if doc is None:
            raise NotFound(f"no attestation with id {attestation_id}")
        self._remember(doc)
        return doc

    async def tiers(self) -> TiersRead:
        """The newest attestation's `tiers` member (as signed, and for the pages), decoded once per
        attestation; NotFound before the first."""
        doc = await self.latest()
        if self._tiers is None or self._tiers[0] != doc.id:
            self._tiers = (doc.id, tiers_read(doc.body))
        return self._tiers[1]

    def peek_latest(self, *, final: bool = False) -> Doc | None:
        """The newest (final) attestation when the view holds one, without waiting or reading."""
        return None if not self._read_once else (self._final if final else self._latest)

    def peek(self, attestation_id: str) -> Doc | None:
        """An attestation from memory when its bytes are known to be current, else None."""
        doc = self._by_id.get(attestation_id)
        if doc is None or (doc.has_guardian_set and time.monotonic() - doc.checked >= self.revalidate_seconds):
            return None
        return doc

    def peek_dashboard(self, now: datetime) -> views.DashboardView | None:
        """The dashboard's figures at `now` when the view was read, without waiting or reading."""
        if self._dashboard is None:
            return None
        # Ages are whole seconds of a time given in whole seconds: one aged view per second.
        key = (self.generation, int(now.timestamp()))
        if self._aged is None or self._aged[0] != key:
            self._aged = (key, self.service.as_of(self._dashboard, now))
        return self._aged[1]

    async def dashboard(self, now: datetime | None = None) -> views.DashboardView:
        """The dashboard's figures as they hold at `now` (stale once too old), from memory."""
        await self._ready()
        view = self.peek_dashboard(now or datetime.now(timezone.utc))
        assert view is not None
        return view

    def overview_chart(self) -> Chart | None:
        """The overview's compact ratio chart, built with the dashboard's figures at the last rebuild
        (no read); None before the first. Read it right after `dashboard()`: both are of one rebuild."""
        return self._chart

    def memo(self, key: Any, make: Callable[[], bytes]) -> tuple[bytes, str]:
        """(bytes, ETag) derived from the current view under `key` (say, a page and the age in
        seconds it shows), made once until the view is rebuilt."""
        hit = self._memo.get(key)
        if hit is None:
            if len(self._memo) >= 64:
                self._memo.clear()
            data = make()
            hit = self._memo[key] = (data, etag_of(data))
        return hit

    async def _count(self, attestation_id: str) -> int:
        async with self.db.sessions() as session:
            return int((await (await session.connection()).execute(_COUNT, {"id": attestation_id})).scalar_one())

    def _remember(self, doc: Doc) -> None:
        old = self._by_id.pop(doc.id, None)
        if old is not None:
            self._by_id_bytes -= len(old.body)
        if len(doc.body) > self.cache_bytes // 4:
            return  # one huge document must not flush everything else
        self._by_id[doc.id] = doc
        self._by_id_bytes += len(doc.body)
        while self._by_id_bytes > self.cache_bytes:
            _, dropped = self._by_id.popitem(last=False)
            self._by_id_bytes -= len(dropped.body)


def _checked(doc: Doc) -> Doc:
    return Doc(doc.id, doc.body, doc.etag, doc.guardians, doc.has_guardian_set, time.monotonic())


def etag_of(data: bytes) -> str:
    """A strong ETag for bytes made from the view (pages, the summary): 16 bytes of BLAKE2b."""
    return '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'
