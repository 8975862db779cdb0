"""GET /prices: the median BTC price, every source with its value and verdict, its chart and the last day by hour.

Built from the same view as /api/v1/prices/latest and /api/v1/prices/history (reserves.read.prices).
`?range=day|week|month|year|all` (default day) chooses the chart's range, by plain links as on
/history; anything else, given twice or too long is a 400 page that says so, never a 500. With no
price source configured the page says the feature is off.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.enums import MediaType

from portal.deps import Prices
from portal.pages.history import choice
from portal.pages.site import page, render
from reserves.errors import InvalidInput
from reserves.read.history_chart import RANGES
from reserves.read.prices import DEFAULT_RANGE


class PricesPage(Controller):
    include_in_schema = False

    @get("/prices")
    async def prices(self, request: Request, prices: Prices) -> Response[bytes]:
        try:
            range_name = choice(request, "range", RANGES, DEFAULT_RANGE)
        except InvalidInput as exc:
            body = render(request, "pages/bad_request.html", detail=exc.detail, back="/prices")
            return Response(body, status_code=400, media_type=MediaType.HTML)
        px = await prices.page(range_name)
        return page(request, "pages/prices.html", px=px, ranges=[(key, r.label) for key, r in RANGES.items()])
