"""The devnet portal's supply table (/supply) in headless Chromium: every term kind, and a total that adds up."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import wait_for
from tests.e2e.test_dashboard_browser import browser as browser  # the module's Chromium fixture


def test_supply_table_shows_every_term_and_adds_up(server, browser):
    base, _, proc, _ = server
    wait_for(base, proc, 1)
    page = browser.new_page()
    page.goto(base + "/supply")
    table = page.locator("#deployments")
    groups = table.locator("tbody[data-deployment]")
    names = [groups.nth(i).get_attribute("data-deployment") for i in range(groups.count())]
    assert sorted(names) == ["devnet-bridged", "devnet-ethereum", "devnet-l2"]
    eth = table.locator('tbody[data-deployment="devnet-ethereum"]')
    bridged = table.locator('tbody[data-deployment="devnet-bridged"]')
    assert bridged.get_attribute("data-role") == "bridge"
    # Row headers name each deployment for screen readers; every term row sits in its group.
    assert eth.locator('th[scope="rowgroup"]').inner_text().startswith("devnet-ethereum")
    treasury = eth.locator('tr.held[data-category="treasury"]')
    lockbox = eth.locator('tr.held[data-category="lockbox"]')
    assert treasury.count() == 1 and "Issuer treasury" in treasury.inner_text() and "−" in treasury.inner_text()
    assert lockbox.count() == 1 and "of devnet-bridged" in lockbox.inner_text()
    assert eth.locator('tr.held[data-category="burn"]').count() == 1
    term = bridged.locator("tr.bridge-term").inner_text()
    assert "max(locked on devnet-ethereum, minted here)" in term and "locked" in term and "minted" in term
    assert "2 of 2 endpoints agree" in eth.locator("td.rpc").inner_text()
    assert "#" in eth.inner_text()  # the block number beside its short hash and time

    # Read in one go: htmx may swap in a newer attestation between two locator calls.
    figures = page.evaluate("""() => ({
        parts: [...document.querySelectorAll('#deployments tr.counted')].map(r => r.dataset.supplySat),
        total: document.querySelector('#deployments tfoot tr').dataset.totalSat,
        sequence: document.querySelector('#live .lead a[href^="/attestations/"]').textContent.slice(1)})""")
    assert len(figures["parts"]) == 3 and sum(int(x) for x in figures["parts"]) == int(figures["total"])
    total = int(figures["total"])
    assert "Total = sum over native deployments" in page.locator("#supply-rule").inner_text()
    # The page and the API come from the same attestation.
    api = httpx.get(f"{base}/api/v1/supply", timeout=5).json()
    if api["sequence"] == int(figures["sequence"]):
        assert api["total_sat"] == str(total)
    page.close()
