"""The dashboard in headless Chromium refreshes on stream events, well before its 30 s fallback poll."""

from __future__ import annotations

import time

from tests.e2e.conftest import wait_for
from tests.e2e.test_dashboard_browser import browser  # noqa: F401 - the module's Chromium fixture


def test_the_summary_follows_the_event_stream(server, browser):  # noqa: F811
    base, _, proc, _ = server
    wait_for(base, proc, 1)
    page = browser.new_page()
    streams = []
    page.on("request", lambda r: streams.append(r.url) if "/api/v1/events/stream" in r.url else None)
    page.goto(base + "/")
    first = int(page.locator("#summary").get_attribute("data-sequence"))
    started = time.monotonic()
    # Snapshots every 3 s here: each one's attestation.published event asks for the summary at once.
    page.wait_for_function(
        f"() => Number(document.querySelector('#summary').dataset.sequence) > {first}", timeout=20_000
    )
    assert time.monotonic() - started < 20 and streams, streams  # not the 30 s poll
    page.close()
