"""The overview page and its live summary partial.

The summary (status, ratio, reserves, supply, the attestation's time and finality) is rendered from
the web process's in-memory view (reserves.read.hot), the same figures as /api/v1/summary; it is
also answered before routing (portal.hot_paths). The overview around it adds one line per area,
read from each area's own service, so it goes through the one-second cache of public pages.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from litestar import Controller, Litestar, Request, Response, get
from litestar.enums import MediaType
from sqlalchemy.exc import SQLAlchemyError

from portal.conditional import cached
from portal.deps import Hot, Monitor, Prices, Proofs, Providers, Reconcile
from portal.pages.areas import tiers_view
from portal.pages.site import page, render_for
from reserves.read.areas import AreaSummaries, area_summaries
from reserves.read.views import DashboardView

T = TypeVar("T")
# The slow fallback: the page refreshes at once on events from /api/v1/events/stream (layout.html).
REFRESH_SECONDS = 30
RECONCILE_NONE = 1  # the overview shows counts only; the smallest page the service allows
AREAS_SECONDS = 5.0


def render_page(app: Litestar, template: str, view: DashboardView) -> bytes:
    """The summary partial (or a page made of `view` alone), as bytes."""
    return render_for(app, "/", template, v=view, refresh=REFRESH_SECONDS)


class DashboardController(Controller):
    include_in_schema = False

    @get("/")
    async def index(
        self,
        request: Request,
        hot: Hot,
        proofs: Proofs,
        monitor: Monitor,
        reconcile: Reconcile,
        prices: Prices,
        providers: Providers,
    ) -> Response[bytes]:
        view = await hot.dashboard()
        chart = hot.overview_chart()  # of the same rebuild as `view`

        async def read() -> AreaSummaries:
            p, m, r, lp = await asyncio.gather(
                proofs.status(), monitor.overview(), reconcile.view(limit=RECONCILE_NONE), providers.view()
            )
            return area_summaries(p, m, r, lp)

        areas = await area_lines(request.app).get(read)
        price = await area_lines(request.app, "price_line").get(
            lambda: prices.line(view.reserves_sat, view.liabilities_sat)
        )
        tiers = await tiers_view(hot)
        return page(
            request,
            "dashboard.html",
            v=view,
            chart=chart,
            areas=areas,
            price=price,
            tiers=tiers,
            refresh=REFRESH_SECONDS,
        )

    @get("/partials/summary")
    async def summary(self, request: Request, hot: Hot) -> Response[bytes]:
        view = await hot.dashboard()
        body, etag = hot.memo(
            ("_summary.html", view.age_seconds, view.status), lambda: render_page(request.app, "_summary.html", view)
        )
        return cached(request, body, etag, media_type=MediaType.HTML)


class AreaLines(Generic[T]):
    """The overview's area lines, read at most once every AREAS_SECONDS per process: they change with
    the jobs (proofs, monitor, reconciliation), not with each request, and cost about 100 ms of reads.
    The verdict above them never goes through this. None while the database cannot be read: the first
    screen comes from memory and stays up, and the lines say they are not available now."""

    def __init__(self) -> None:
        self._value: T | None = None
        self._at = -AREAS_SECONDS
        self._lock = asyncio.Lock()

    async def get(self, read: Callable[[], Awaitable[T]]) -> T | None:
        async with self._lock:  # one read at a time; the others take its result
            if time.monotonic() - self._at >= AREAS_SECONDS:
                try:
                    self._value = await read()
                except SQLAlchemyError:
                    self._value = None
                self._at = time.monotonic()
            return self._value


def area_lines(app: Litestar, name: str = "area_lines") -> AreaLines:
    """The app's AreaLines of `name` (made on first use: one per web process); "price_line" holds the
    overview's USD line, read no more often than the areas."""
    lines = app.state.get(name)
    if lines is None:
        lines = AreaLines()
        app.state[name] = lines
    return lines
