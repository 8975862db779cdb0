"""GET /prices: the median BTC price, every source with its value and verdict, and the last day by hour.

Built from the same view as /api/v1/prices/latest and /api/v1/prices/history (reserves.read.prices).
With no price source configured the page says the feature is off.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from portal.deps import Prices
from portal.pages.site import page


class PricesPage(Controller):
    include_in_schema = False

    @get("/prices")
    async def prices(self, request: Request, prices: Prices) -> Response[bytes]:
        return page(request, "pages/prices.html", px=await prices.page())
