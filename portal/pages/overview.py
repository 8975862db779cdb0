"""The overview page and its live summary partial.

The summary (status, ratio, reserves, supply, the attestation's time and finality) is rendered from
the web process's in-memory view (reserves.read.hot), the same figures as /api/v1/summary; it is
also answered before routing (portal.hot_paths). The overview around it adds one line per area,
read from each area's own service, so it goes through the one-second cache of public pages.
"""

from __future__ import annotations

import asyncio

from litestar import Controller, Litestar, Request, Response, get
from litestar.enums import MediaType
from sqlalchemy.exc import SQLAlchemyError

from portal.conditional import cached
from portal.deps import Hot, Monitor, Proofs, Reconcile
from portal.pages.site import page, render_for
from reserves.read.areas import area_summaries
from reserves.read.views import DashboardView

# The slow fallback: the page refreshes at once on events from /api/v1/events/stream (layout.html).
REFRESH_SECONDS = 30
RECONCILE_NONE = 1  # the overview shows counts only; the smallest page the service allows


def render_page(app: Litestar, template: str, view: DashboardView) -> bytes:
    """The summary partial (or a page made of `view` alone), as bytes."""
    return render_for(app, "/", template, v=view, refresh=REFRESH_SECONDS)


class DashboardController(Controller):
    include_in_schema = False

    @get("/")
    async def index(
        self, request: Request, hot: Hot, proofs: Proofs, monitor: Monitor, reconcile: Reconcile
    ) -> Response[bytes]:
        view = await hot.dashboard()
        chart = hot.overview_chart()  # of the same rebuild as `view`
        try:
            p, m, r = await asyncio.gather(proofs.status(), monitor.overview(), reconcile.view(limit=RECONCILE_NONE))
            areas = area_summaries(p, m, r)
        except SQLAlchemyError:
            # The first screen comes from memory and stays up while the database is away; the
            # area lines say they cannot be read now.
            areas = None
        return page(request, "dashboard.html", v=view, chart=chart, areas=areas, refresh=REFRESH_SECONDS)

    @get("/partials/summary")
    async def summary(self, request: Request, hot: Hot) -> Response[bytes]:
        view = await hot.dashboard()
        body, etag = hot.memo(
            ("_summary.html", view.age_seconds, view.status), lambda: render_page(request.app, "_summary.html", view)
        )
        return cached(request, body, etag, media_type=MediaType.HTML)
