"""What every page shares: the site's name and devnet flag, the navigation, and how a page is rendered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Litestar, Request, Response
from litestar.enums import MediaType

from portal.conditional import cached
from portal.deps import services_of
from reserves.read.hot import etag_of
from reserves.settings.model import Settings

# (path, label): the navigation bar, in reading order. Each area's page lives at a stable URL.
NAV: list[tuple[str, str]] = [
    ("/", "Overview"),
    ("/reserves", "Reserves"),
    ("/supply", "Supply"),
    ("/proofs", "Proofs of control"),
    ("/attestations", "Attestations"),
    ("/history", "History"),
    ("/prices", "Prices"),
    ("/monitor", "Monitor"),
    ("/reconciliation", "Reconciliation"),
    ("/providers", "Providers"),
    ("/trust", "Trust"),
]


@dataclass(frozen=True)
class Site:
    """The layout's context: who issues which token, and whether this is the devnet."""

    token_symbol: str
    issuer_name: str
    devnet: bool
    nav: list[tuple[str, str]]


def site_of(settings: Settings) -> Site:
    return Site(settings.portal.token_symbol, settings.portal.issuer_name, settings.devnet.enabled, NAV)


def render_for(app: Litestar, here: str, template: str, **context: Any) -> bytes:
    """`template` rendered with the layout's context (`site`, the path `here`) and `context`, as bytes."""
    engine = app.template_engine
    if engine is None:  # create_app always configures one
        raise RuntimeError("no template engine")
    site = site_of(services_of(app).settings)
    return engine.get_template(template).render(site=site, here=here, **context).encode()


def render(request: Request, template: str, **context: Any) -> bytes:
    """`template` rendered for the page `request` asked for."""
    return render_for(request.app, request.url.path, template, **context)


def page(request: Request, template: str, **context: Any) -> Response[bytes]:
    """A whole page or partial as HTML with a content ETag (304 when the browser has it)."""
    body = render(request, template, **context)
    return cached(request, body, etag_of(body), media_type=MediaType.HTML)
