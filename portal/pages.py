"""The dashboard: a page and its htmx partials, rendered from the same service call as /api/v1/summary."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from portal.api.attestations import Service

# The slow fallback: the page refreshes at once on events from /api/v1/events/stream (dashboard.html).
REFRESH_SECONDS = 30


class DashboardController(Controller):
    include_in_schema = False

    @get("/")
    async def index(self, service: Service) -> Template:
        view = await service.dashboard()
        return Template("dashboard.html", context={"v": view, "refresh": REFRESH_SECONDS})

    @get("/partials/summary")
    async def summary(self, service: Service) -> Template:
        view = await service.dashboard()
        return Template("_summary.html", context={"v": view, "refresh": REFRESH_SECONDS})
