"""GET /badge.svg: the reserves badge for issuers' sites, the status of now from the web process's
in-memory view (reserves.read.hot), aged at each request like the dashboard: `stale` on time, never
a cached "healthy" past its staleness.

The badge only changes with the status or the ratio, so its bytes (and ETag) are made once per view
and per status, and a browser or CDN revalidates it with a 304 every 2 s at most (FRESH). Query
parameters are ignored, as on every page (a cache-busting `?v=2` still gets the badge); repeated or
over-long ones are refused before routing (portal.limits). The security layer lets other sites
embed it (`Cross-Origin-Resource-Policy: cross-origin`, portal.security.EMBEDDABLE).
"""

from __future__ import annotations

from litestar import Request, Response, get

from portal.conditional import cached
from portal.deps import Hot, services_of
from portal.pages.badge_svg import reserves_badge, svg

SVG = "image/svg+xml"


@get("/badge.svg", include_in_schema=False)
async def badge(request: Request, hot: Hot) -> Response[bytes]:
    view = await hot.dashboard()
    symbol = services_of(request.app).settings.portal.token_symbol
    made = reserves_badge(symbol, view.status if view.has_data else None, view.ratio_percent)
    body, etag = hot.memo(("badge.svg", made), lambda: svg(made))
    return cached(request, body, etag, media_type=SVG)
