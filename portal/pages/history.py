"""GET /history: the reserve ratio, or reserves against supply, over a day to all time, as an SVG chart and a table.

`?range=day|week|month|year|all` (default month) and `?series=ratio|amounts` (default ratio) are
chosen by plain links; anything else, given twice or too long is a 400 page that says so, never a
500. The chart is built from the same buckets /api/v1/history returns (the page links to them).
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.enums import MediaType

from portal.deps import Service
from portal.pages.site import page, render
from reserves.errors import InvalidInput
from reserves.read.chart import RATIO
from reserves.read.history_chart import DEFAULT_RANGE, RANGES, SERIES_LABELS

MAX_VALUE = 16  # longer than any choice


def choice(request: Request, name: str, allowed, default: str) -> str:
    """The one value of query parameter `name` among `allowed`, or InvalidInput saying what is wrong."""
    values = request.query_params.getall(name, [])
    if not values:
        return default
    if len(values) > 1:
        raise InvalidInput(f"{name}: give it once")
    if len(values[0]) > MAX_VALUE or values[0] not in allowed:
        raise InvalidInput(f"{name}: one of {', '.join(allowed)}")
    return values[0]


class HistoryController(Controller):
    include_in_schema = False

    @get("/history")
    async def history(self, request: Request, service: Service) -> Response[bytes]:
        try:
            range_name = choice(request, "range", RANGES, DEFAULT_RANGE)
            series = choice(request, "series", SERIES_LABELS, RATIO)
        except InvalidInput as exc:
            body = render(request, "pages/bad_request.html", detail=exc.detail, back="/history")
            return Response(body, status_code=400, media_type=MediaType.HTML)
        shown = await service.history_chart(range_name, series)
        return page(
            request,
            "pages/history.html",
            h=shown,
            chart=shown.chart,
            ranges=[(key, r.label) for key, r in RANGES.items()],
            series_labels=list(SERIES_LABELS.items()),
        )
