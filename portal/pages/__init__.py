"""The public pages: an overview and one page per area, server-rendered and complete without JavaScript.

Every page extends templates/layout.html (navigation, landmarks, the live event stream) and is
rendered from the same read models as the JSON API, through `portal.pages.site.page`.
"""

from __future__ import annotations

from portal.pages.areas import AreaPages
from portal.pages.attestation import AttestationPageController
from portal.pages.badge import badge
from portal.pages.feed import feed
from portal.pages.history import HistoryController
from portal.pages.overview import DashboardController, render_page
from portal.pages.prices import PricesPage

ROUTES: list = [
    DashboardController,
    AreaPages,
    AttestationPageController,
    HistoryController,
    PricesPage,
    badge,
    feed,
]

__all__ = ["ROUTES", "render_page"]
