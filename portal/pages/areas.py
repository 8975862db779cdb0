"""One page per area at a stable URL, each server-rendered and complete without JavaScript; htmx
refreshes their figures when the event stream says they changed. Each handler calls the same service
as the area's JSON endpoint, so a page and its JSON never show different numbers."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.enums import MediaType

from portal.deps import Hot, Monitor, Proofs, Providers, Reconcile, Service, Trust
from portal.pages.site import page, render
from reserves.errors import InvalidInput, NotFound
from reserves.read.tiers import TiersView

RECONCILE_ITEMS = 100
ATTESTATIONS_PER_PAGE = 50


class AreaPages(Controller):
    include_in_schema = False

    @get("/reserves")
    async def reserves(self, request: Request, hot: Hot, service: Service) -> Response[bytes]:
        view = await hot.dashboard()
        try:
            utxos = await service.utxos()
        except NotFound:
            utxos = None
        return page(request, "pages/reserves.html", v=view, utxos=utxos, tiers=await tiers_view(hot))

    @get("/supply")
    async def supply(self, request: Request, hot: Hot) -> Response[bytes]:
        return page(request, "pages/supply.html", v=await hot.dashboard())

    @get("/proofs")
    async def proofs(self, request: Request, proofs: Proofs) -> Response[bytes]:
        return page(request, "pages/proofs.html", p=await proofs.status())

    @get("/monitor")
    async def monitor(self, request: Request, monitor: Monitor) -> Response[bytes]:
        return page(request, "pages/monitor.html", m=await monitor.overview())

    @get("/reconciliation")
    async def reconciliation(self, request: Request, reconcile: Reconcile) -> Response[bytes]:
        return page(request, "pages/reconciliation.html", r=await reconcile.view(limit=RECONCILE_ITEMS))

    @get("/providers")
    async def providers(self, request: Request, providers: Providers) -> Response[bytes]:
        return page(request, "pages/providers.html", lp=await providers.view())

    @get("/trust")
    async def trust(self, request: Request, trust: Trust, hot: Hot) -> Response[bytes]:
        return page(request, "pages/trust.html", a=await trust.assurance(), v=await hot.dashboard())

    @get("/attestations")
    async def attestations(self, request: Request, service: Service, hot: Hot) -> Response[bytes]:
        try:
            before = sequence_param(request, "before")
        except InvalidInput as exc:
            body = render(request, "pages/bad_request.html", detail=exc.detail, back="/attestations")
            return Response(body, status_code=400, media_type=MediaType.HTML)
        listing = await service.attestation_list(before=before, limit=ATTESTATIONS_PER_PAGE)
        return page(request, "pages/attestations.html", listing=listing, before=before, v=await hot.dashboard())


async def tiers_view(hot: Hot) -> TiersView | None:
    """The newest attestation's tiers for a page (the member GET /api/v1/reserves/tiers serves); None
    without tiers or before the first attestation."""
    try:
        return (await hot.tiers()).view
    except NotFound:
        return None


def sequence_param(request: Request, name: str) -> int | None:
    """Query parameter `name` as a sequence number (decimal digits, 1 to 2^53 - 1), None when absent."""
    values = request.query_params.getall(name, [])
    if not values:
        return None
    value = values[0]
    if len(values) > 1 or not (value.isascii() and value.isdigit()) or len(value) > 16 or not 1 <= int(value) < 2**53:
        raise InvalidInput(f"{name}: a sequence number from 1 to 2^53 - 1, given once")
    return int(value)
