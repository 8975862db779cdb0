"""Price fixtures: the devnet's ticker app served over real HTTP, and sources parsed like a config's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chains.devnet.http import serve_in_thread
from chains.devnet.prices import VENUES, TickerApp
from reserves.settings.model import PriceSettings
from reserves.settings.prices import prices
from tests.evm.conftest import anvil  # noqa: F401  (the session's anvil node, for the feed tests)
from tests.storage.conftest import migrated_db  # noqa: F401  (a migrated database on each backend)


@pytest.fixture
def tickers() -> Iterator[tuple[TickerApp, str]]:
    """(app, base URL): four ticker shapes on one local server; tests set prices and faults on the app."""
    app = TickerApp(slow_seconds=5.0)
    url, stop = serve_in_thread(app)
    try:
        yield app, url
    finally:
        stop(wait=False)


def ticker_settings(url: str, venues=VENUES, timeout: float = 1.0, **table) -> PriceSettings:
    """[prices] with one ticker source per venue, named after it, parsed as a config file's would be."""
    sources = [{"name": v, "kind": "price-ticker", "format": v, "url": url, "timeout_seconds": timeout} for v in venues]
    return prices({**table, "sources": sources}, {}, Path("."))
