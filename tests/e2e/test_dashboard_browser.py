"""The dashboard in headless Chromium: the overview shows the figures and refreshes itself through htmx; each
area's figures and tables are on its own page, one click away."""

from __future__ import annotations

import os

import pytest

from tests.e2e.conftest import wait_for
from tests.support import require

CHROMIUM = "/usr/bin/chromium"
# Without these flags Chromium tries Google's hosts at start, which this network refuses.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    require(os.path.exists(CHROMIUM), f"{CHROMIUM} not installed (scripts/ensure-chromium installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def test_dashboard_shows_figures_and_refreshes_without_reload(server, browser, tmp_path):
    base, _, proc, _ = server
    wait_for(base, proc, 1)
    page = browser.new_page()
    partial_requests = []
    page.on("request", lambda r: partial_requests.append(r.url) if "/partials/summary" in r.url else None)
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(base) else None)
    page.goto(base + "/")
    assert page.locator("#devnet-banner").is_visible()
    status = page.locator("#status .value").inner_text()
    assert status in {"healthy", "warning", "undercollateralized", "stale"}
    assert page.locator("#ratio .value").inner_text().endswith("%")
    assert "BTC" in page.locator("#reserves-total .value").inner_text()
    assert "RBTC" in page.locator("#supply-total .value").inner_text()
    assert page.locator("#spendable-locked .value").inner_text().endswith("BTC")
    assert page.locator("#area-supply li[data-deployment]").count() == 3  # native, native, bridge
    first_seq = int(page.locator("#summary").get_attribute("data-sequence"))
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    # No reload: htmx swaps the partial in place until a newer attestation shows up.
    page.wait_for_function(
        f"() => Number(document.querySelector('#summary').dataset.sequence) > {first_seq}", timeout=45_000
    )
    assert partial_requests, "the page never asked for /partials/summary"
    assert page.evaluate("() => window.htmx && window.htmx.version") == "2.0.11"

    # The areas are one click away, through the (boosted) navigation.
    page.click("nav[aria-label=Sections] a[href='/supply']")
    page.wait_for_selector("#deployments")
    assert page.locator("#deployments tbody[data-deployment]").count() == 3
    page.click("nav[aria-label=Sections] a[href='/reserves']")
    page.wait_for_selector("#wallets")
    # The devnet declares its reserves as named wallets of one source (issue 3).
    assert page.locator("#reserve-sources tbody tr").count() == 1
    assert page.locator("#wallets tbody tr[data-wallet]").count() >= 3
    assert "2 of 3" in page.locator("#wallets .custody").all_inner_texts()
    assert page.locator("#reserve-set-versions tbody tr").count() >= 1
    assert not external, f"the page loaded something from elsewhere: {external}"
    page.close()


def test_dashboard_shows_finality_guardians_window_flows_and_scope(server, browser):
    base, _, proc, _ = server
    wait_for(base, proc, 2)
    page = browser.new_page()
    page.goto(base + "/")
    assert page.locator("#finality .value").inner_text() in {"final", "pending"}
    assert "guardian" in page.locator("#finality").inner_text()  # "2 of 3 guardians signed" or "... required"
    page.goto(base + "/trust")
    assert page.locator("#finality .value").inner_text() in {"final", "pending"}
    text = page.locator("#finality").inner_text()
    assert "2 of 3 guardians signed (2 required)" in text or "of 2 guardian signatures required (3 guardians)" in text
    rows = page.locator("#guardians tbody tr")
    assert rows.count() == 3 and "not yet" in rows.nth(2).inner_text()  # the devnet's third never signs
    assert page.locator("#window .value").inner_text().endswith("%")
    assert "blocks" in page.locator("#window").inner_text()
    assert "reserve flows since" in page.locator("#flows").inner_text().lower()  # CSS upper-cases labels
    scope = page.locator("#scope").inner_text()
    assert "reserve_outputs" in scope and "unencumbered" in scope
    assert page.locator("#keys tbody tr").count() >= 4  # the engine key and three guardians
    assert page.locator("#audit li").count() >= 1
    page.close()
