"""/history in headless Chromium under the portal's own Content-Security-Policy: the chart draws, its text is
readable, the table opens, and the range and series links work without JavaScript (issue 14)."""

from __future__ import annotations

from tests.e2e.conftest import wait_for
from tests.e2e.test_csp_browser import Watch
from tests.e2e.test_dashboard_browser import browser  # noqa: F401 - the module's Chromium fixture


def test_history_page_draws_under_the_policy_and_works_without_javascript(server, browser):  # noqa: F811
    base, _, proc, _ = server
    wait_for(base, proc, 2)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page, base)
    page.goto(base + "/history?range=day")
    svg = page.locator("#history-chart svg")
    assert svg.get_attribute("role") == "img"
    assert page.locator("#history-chart svg polyline, #history-chart svg circle").count() >= 1
    # The smallest text in the chart, as drawn: at least 12 CSS pixels.
    heights = page.evaluate(
        "() => [...document.querySelectorAll('#history-chart svg text')]"
        ".map(t => t.getBBox().height * t.getScreenCTM().a)"
    )
    assert min(heights) >= 12, heights
    page.get_by_text("The data as a table").click()
    assert page.locator("#history-chart-table tbody tr").count() >= 1
    page.get_by_role("link", name="Reserves and supply").click()
    assert page.url.endswith("/history?range=day&series=amounts")
    assert page.locator("#history-chart svg .series-supply").get_attribute("stroke-dasharray")
    watch.assert_clean()
    assert page.evaluate("() => document.querySelectorAll('[style]').length") == 0
    context.close()
