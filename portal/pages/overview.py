"""The dashboard: a page and its htmx partials, rendered from the web process's in-memory view
(reserves.read.hot), the same figures as /api/v1/summary.

A page shows ages in whole seconds, so each is rendered at most once a second per view and served
as bytes with an ETag (a 304 when the browser already has it).
"""

from __future__ import annotations

from litestar import Controller, Litestar, Request, Response, get
from litestar.enums import MediaType

from portal.conditional import cached
from portal.deps import Hot, services_of
from portal.pages.site import site_of
from reserves.read.views import DashboardView

# The slow fallback: the page refreshes at once on events from /api/v1/events/stream (dashboard.html).
REFRESH_SECONDS = 30


def render_page(app: Litestar, template: str, view: DashboardView) -> bytes:
    """A dashboard page or partial of `view`, as bytes."""
    engine = app.template_engine
    if engine is None:  # create_app always configures one
        raise RuntimeError("no template engine")
    site = site_of(services_of(app).settings)
    return engine.get_template(template).render(v=view, site=site, here="/", refresh=REFRESH_SECONDS).encode()


async def _render(request: Request, hot: Hot, template: str) -> Response[bytes]:
    view = await hot.dashboard()
    body, etag = hot.memo((template, view.age_seconds, view.status), lambda: render_page(request.app, template, view))
    return cached(request, body, etag, media_type=MediaType.HTML)


class DashboardController(Controller):
    include_in_schema = False

    @get("/")
    async def index(self, request: Request, hot: Hot) -> Response[bytes]:
        return await _render(request, hot, "dashboard.html")

    @get("/partials/summary")
    async def summary(self, request: Request, hot: Hot) -> Response[bytes]:
        return await _render(request, hot, "_summary.html")
