"""GET /feed.atom: the last changes of the published status as an Atom feed (portal.pages.atom).

One indexed read of the outbox (ReserveService.status_changes), at most once a second per process
(portal.microcache keeps the answer), bytes with a content ETag and FRESH caching: a reader polling
it gets a 304 until a new attestation changes the status. Query parameters are ignored, as on
every page. Other sites may fetch it (portal.security.EMBEDDABLE).
"""

from __future__ import annotations

from litestar import Request, Response, get

from portal.conditional import cached
from portal.deps import Service, services_of
from portal.pages.atom import MEDIA_TYPE, FeedInfo, feed_xml
from reserves.read.hot import etag_of


@get("/feed.atom", include_in_schema=False)
async def feed(request: Request, service: Service) -> Response[bytes]:
    portal = services_of(request.app).settings.portal
    info = FeedInfo(portal.token_symbol, portal.issuer_name, portal.issuer_url)
    body = feed_xml(info, await service.status_changes())
    return cached(request, body, etag_of(body), media_type=MEDIA_TYPE)
