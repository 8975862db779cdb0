"""Public JSON of the median price oracle: the newest round with every source's verdict, and its history.

Prices never enter the reserve ratio: these routes read the price tables only (reserves.read.prices).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.params import Parameter, QueryParameter

from portal.api.attestations import CACHE, error_responses
from portal.deps import Prices


class PriceController(Controller):
    path = "/api/v1/prices"
    tags = ["prices"]

    @get(
        "/latest",
        summary="The newest median price, with each source's value and verdict",
        description="`price` is floor(median x 10^8) as a decimal string with 8 decimals (`price_e8` the same "
        "integer, `median` the exact median); `status` fresh or stale with `reason` (too_few_sources, "
        "no_recent_round); each source with its `value` (exact decimal string), `time`, `kept` and `reason` "
        "(ok, timeout, unavailable, malformed, zero, negative, absurd, future, too_old, frozen, deviation). "
        "404 `not_found` when no price source is configured or before the first round. See docs/prices.md.",
        responses=error_responses(404),
    )
    async def latest(self, prices: Prices) -> Response[dict[str, Any]]:
        return Response(await prices.latest(), headers=CACHE)

    @get(
        "/history",
        summary="Rounds of the median price in time buckets (count, fresh count, min / max / last)",
        description="The range rules of /api/v1/history: buckets start at 2000-01-01T00:00:00Z, from/to are "
        "widened to whole buckets, at most 2000 buckets; prices as `*_price_e8` integers (8 decimals). 400 "
        "`invalid_input` for a bad range; 404 `not_found` when no price source is configured.",
        responses=error_responses(400, 404),
    )
    async def history(
        self,
        prices: Prices,
        start: Annotated[datetime | None, QueryParameter(name="from", description="ISO 8601 with zone")] = None,
        end: Annotated[datetime | None, QueryParameter(name="to", description="ISO 8601 with zone")] = None,
        bucket: Annotated[int | None, Parameter(ge=1, le=31_622_400, description="bucket seconds")] = None,
    ) -> Response[dict[str, Any]]:
        return Response(await prices.history(start=start, end=end, bucket_seconds=bucket), headers=CACHE)


ROUTES: list = [PriceController]
