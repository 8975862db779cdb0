"""'Verify in this browser' in headless Chromium, on real attestations made by the engine and on tampered ones:
each verdict (overall, and which checks fail) is the one `reserves verify` gives for the same documents; no
console error, no CSP violation, no request leaving the origin."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from portal.app import create_app
from reserves.attestation.verify import verify_chain, verify_document
from tests.e2e.test_dashboard_browser import browser  # noqa: F401 - the module's Chromium fixture
from tests.support import serving
from tests.world import ROOMY_LIMITS, devnet_settings, world

RECORD = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI), true);
"""
SKIP = "not checked"


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """Two attestations by the engine (co-signed by the devnet's guardians), served by a real web role."""
    data_dir = tmp_path_factory.mktemp("verify-browser")
    with world(data_dir) as w:
        envs = [w.snapshot() for _ in range(2)]
        keys = w.client.get("/api/v1/keys").json()["keys"]
        app = create_app(devnet_settings(data_dir, w.devnet_process, ratelimit=ROOMY_LIMITS))
        with serving(app, "verify-browser-server") as port:
            yield {
                "base": f"http://127.0.0.1:{port}",
                "envs": envs,
                "engine": next(k["pubkey"] for k in keys if k["role"] == "engine"),
                "guardian": next(k["pubkey"] for k in keys if k["role"] == "guardian"),
            }


def reference(current: dict, previous: dict | None, pinned: str) -> dict[str, bool]:
    """`reserves verify` (its library) on the envelopes the page fetches: check name (as the page names it) -> ok."""
    trusted = {pinned: "pinned"}
    if previous is None:
        report = verify_document(current, trusted_keys=trusted)
    else:
        report = verify_chain([previous, current], trusted)
    return {c.name.replace("doc[0].", "previous.").replace("doc[1].", ""): c.ok for c in report.checks}


class Run:
    """One page of the browser with what it did: console errors, requests elsewhere, CSP violations."""

    def __init__(self, browser, base: str) -> None:  # noqa: F811 - the fixture's value
        self.page = browser.new_page()
        self.base = base
        self.errors: list[str] = []
        self.elsewhere: list[str] = []
        self.page.add_init_script(RECORD)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: None if r.url.startswith(base) else self.elsewhere.append(r.url))

    def serve(self, env: dict) -> None:
        """Answer the API's /attestations/{id} for `env["id"]` with `env` (a tampered document)."""
        body = json.dumps(env)
        self.page.route(
            f"{self.base}/api/v1/attestations/{env['id']}",
            lambda route: route.fulfill(status=200, content_type="application/json", body=body),
        )

    def verify(self, att_id: str, *, pinned: str | None = None, fetched: bool = False) -> tuple[str, dict[str, str]]:
        page = self.page
        if not page.url.endswith(att_id):
            page.goto(f"{self.base}/attestations/{att_id}")
        if fetched:
            page.check("input[name=verify-keys][value=fetched]")
        else:
            page.fill("[data-verify-pinned]", pinned or "")
        page.click("[data-verify-run]")
        page.wait_for_selector("[data-verify-overall][data-verdict]", timeout=10_000)
        verdict = page.get_attribute("[data-verify-overall]", "data-verdict")
        rows = page.eval_on_selector_all(
            "[data-verify-checks] tbody tr", "rows => rows.map(r => [r.dataset.check, r.dataset.verdict])"
        )
        return verdict, dict(rows)

    def clean(self) -> None:
        """Nothing went wrong on the page so far; the next check starts without any tampering."""
        assert self.page.evaluate("window.__violations") == []
        assert self.errors == [] and self.elsewhere == []
        self.page.unroute_all()

    def close(self) -> None:
        self.clean()
        self.page.close()


@pytest.fixture(scope="module")
def third(portal, browser) -> Iterator[Run]:  # noqa: F811
    """One page of the newest attestation for every tampering: the API is intercepted at each click."""
    run = Run(browser, portal["base"])
    run.page.goto(f"{portal['base']}/attestations/{portal['envs'][-1]['id']}")
    yield run
    run.close()


def assert_same(browser_result: tuple[str, dict[str, str]], expected: dict[str, bool]) -> None:
    verdict, checks = browser_result
    assert verdict == ("pass" if all(expected.values()) else "fail"), (checks, expected)
    ran = {name: v for name, v in checks.items() if v != SKIP}
    failed = {name for name, v in ran.items() if v == "fail"}
    assert failed == {name for name, ok in expected.items() if not ok and name in ran}, (failed, expected)
    if verdict == "fail":
        assert failed, "a failing verdict names the checks that fail"
    # Every check the page runs is one reserves verify runs, with the same result.
    assert {name: v == "pass" for name, v in ran.items()} == {n: expected[n] for n in ran}, (ran, expected)


def test_real_attestations_verify_with_pinned_keys_and_fetched_keys_warn(portal, browser):  # noqa: F811
    run = Run(browser, portal["base"])
    first, second = portal["envs"]
    result = run.verify(second["id"], pinned=portal["engine"])
    assert_same(result, reference(second, first, portal["engine"]))
    assert result[0] == "pass" and result[1]["chain.links"] == "pass" and result[1]["signatures"] == "pass"
    assert run.page.locator("[data-verify-warning]").is_hidden()
    # The first one has no previous: nothing to link.
    result = run.verify(first["id"], pinned=portal["engine"])
    assert_same(result, reference(first, None, portal["engine"]))
    assert result[0] == "pass" and "chain.links" not in result[1]
    # Keys fetched from the same server: it passes, with the warning in view.
    run.page.goto(f"{portal['base']}/attestations/{second['id']}")
    result = run.verify(second["id"], fetched=True)
    assert result[0] == "pass"
    assert run.page.locator("[data-verify-warning]").is_visible()
    assert "same server" in run.page.inner_text("[data-verify-warning]")
    run.close()


def test_remembered_keys_and_a_boosted_navigation(portal, browser):  # noqa: F811
    run = Run(browser, portal["base"])
    second, third = portal["envs"]
    run.page.goto(f"{portal['base']}/attestations/{third['id']}")
    run.page.fill("[data-verify-pinned]", portal["engine"])
    run.page.check("[data-verify-remember]")
    run.page.click("[data-verify-run]")
    run.page.wait_for_selector("[data-verify-overall][data-verdict=pass]")
    # htmx swaps the previous attestation's page in (hx-boost): the section still works, keys remembered.
    run.page.click("#previous-link")
    run.page.wait_for_selector(f"[data-verifier][data-attestation-id='{second['id']}'][data-verify-ready]")
    assert run.page.evaluate("document.querySelectorAll('script[src*=\"/static/verify-\"]').length") == 1
    assert run.page.input_value("[data-verify-pinned]") == portal["engine"]
    run.page.click("[data-verify-run]")
    run.page.wait_for_selector("[data-verify-overall][data-verdict=pass]")
    assert "Verified" in run.page.inner_text("[data-verify-overall]")
    run.close()


def _set(path: tuple, value: Callable[[Any], Any]) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        *parents, last = path
        node = doc
        for key in parents:
            node = node[key]
        node[last] = value(node[last])

    return change


TAMPERS = {
    "amount": _set(("reserves", "total_sat"), lambda v: str(int(v) + 1)),
    "supply": _set(("supply", "total_sat"), lambda v: str(int(v) - 1)),
    "ratio": _set(("ratio_bp",), lambda v: str(int(v) + 1)),
    "status": _set(("status",), lambda v: "warning" if v != "warning" else "healthy"),
    "issued_at": _set(("issued_at",), lambda v: v.replace(v[11:13], f"{(int(v[11:13]) + 5) % 24:02d}", 1)),
    "sequence": _set(("sequence",), lambda v: v + 1),
    "source_entry": _set(("reserves", "sources", 0, "utxos", 0, "value_sat"), lambda v: str(int(v) + 1000)),
    "bad_signature": _set(("signatures", 0, "sig"), lambda v: ("0" if v[0] != "0" else "1") + v[1:]),
}


@pytest.mark.parametrize("what", sorted(TAMPERS))
def test_tampered_attestations_fail_as_reserves_verify_fails_them(portal, third, what):
    second, newest = portal["envs"]
    tampered = copy.deepcopy(newest)
    TAMPERS[what](tampered["attestation"])
    third.serve(tampered)
    result = third.verify(newest["id"], pinned=portal["engine"])
    assert_same(result, reference(tampered, second, portal["engine"]))
    assert result[0] == "fail"
    third.clean()


def test_a_wrong_pinned_key_fails_the_trust_check(portal, third):
    second, newest = portal["envs"]
    result = third.verify(newest["id"], pinned=portal["guardian"])
    assert_same(result, reference(newest, second, portal["guardian"]))
    assert result[1]["trusted"] == "fail" and result[1]["signature[0]"] == "pass"
    third.clean()


def test_a_broken_previous_link_fails_the_chain(portal, third):
    second, newest = portal["envs"]
    previous = copy.deepcopy(second)
    previous["attestation"]["issuer"]["name"] = "Someone else"  # served under the id it no longer has
    third.serve(previous)
    result = third.verify(newest["id"], pinned=portal["engine"])
    assert_same(result, reference(newest, previous, portal["engine"]))
    assert result[1]["chain.links"] == "fail" and result[1]["previous.id"] == "fail" and result[1]["id"] == "pass"
    third.clean()
