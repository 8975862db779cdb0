"""'Verify in this browser' in headless Chromium, on real attestations made by the engine and on tampered ones:
each verdict (overall, and which checks fail) is the one `reserves verify` gives for the same documents; no
console error, no CSP violation, no request leaving the origin."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from portal.app import create_app
from reserves.attestation import arithmetic as ar
from reserves.attestation.members import providers as lp
from reserves.attestation.verify import verify_chain, verify_document
from tests.e2e.test_dashboard_browser import browser  # noqa: F401 - the module's Chromium fixture
from tests.support import require, serving
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


def reference_detail(current: dict, previous: dict, pinned: str, name: str) -> str:
    """What `reserves verify` says of check `name` (as the page names it) of `current` after `previous`."""
    report = verify_chain([previous, current], {pinned: "pinned"})
    return next(c.detail for c in report.checks if c.name in (f"doc[1].{name}", name))


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

    def serve(self, env: dict, at: str | None = None) -> None:
        """Answer the API's /attestations/{id} for `at` (default `env["id"]`) with `env` (a tampered document)."""
        body = json.dumps(env)
        self.page.route(
            f"{self.base}/api/v1/attestations/{at or env['id']}",
            lambda route: route.fulfill(status=200, content_type="application/json", body=body),
        )

    def figures(self) -> dict[str, str]:
        """The verified document's figures the page shows next to the verdict: field -> text."""
        return dict(
            self.page.eval_on_selector_all(
                "[data-verify-document] tbody tr",
                "rows => rows.map(r => [r.dataset.field, r.querySelector('td').textContent])",
            )
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


def assert_figures(shown: dict[str, str], env: dict) -> None:
    doc = env["attestation"]
    assert shown["id"] == env["id"]
    assert shown["sequence"] == str(doc["sequence"])
    assert shown["issued_at"] == doc["issued_at"] and shown["status"] == doc["status"]
    assert f"({doc['ratio_bp']} bp)" in shown["ratio"]
    assert f"({doc['reserves']['total_sat']} sat)" in shown["reserves"]
    assert f"({doc['supply']['total_sat']} sat)" in shown["supply"]


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
    # Next to the verdict: what was verified, from the signed JSON; here the same as the page's own figures.
    assert_figures(run.figures(), second)
    assert run.figures()["sequence"] == run.page.get_attribute("#attestation", "data-sequence")
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
    # Format 5 (the devnet declares tiers): the tiers arithmetic, recomputed in the browser.
    "tier_amount": _set(("tiers", "tiers", 0, "amount_sat"), lambda v: str(int(v) + 1)),
    "tier_share": _set(("tiers", "tiers", 0, "share_bp"), lambda v: str(int(v) - 1)),
    "tier_in_band": _set(("tiers", "tiers", 1, "in_band"), lambda v: not v),
    "tier_findings": _set(
        ("tiers", "findings"),
        lambda v: v[1:] if v else [{"code": "tier_out_of_band", "category": "policy", "subject": "x", "detail": ""}],
    ),
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


def _liquidatable(change: Callable[[dict], None]) -> Callable[[dict], None]:
    """Raise both provider lines to 1000000 bp and re-derive every entry by the rule (so every valued provider is
    liquidatable, with its reasons and penalty), then make `change` to the first liquidatable entry: its one fault."""

    def tamper(doc: dict) -> None:
        m = doc["providers"]
        m["thresholds"].update(warning_below_bp="1000000", liquidatable_below_bp="1000000")
        t, issued = lp.read_thresholds(m), ar.parse_timestamp(doc["issued_at"])
        for e in m["entries"]:
            d = lp.derive(e, issued, t, m["price"])
            e.update({k: str(v) if isinstance(v, int) else v for k, v in dataclasses.asdict(d).items()})
        entry = next(e for e in m["entries"] if e["state"] == "liquidatable")
        assert entry["penalty_sat"] not in (None, "0") and entry["reasons"]
        change(entry)

    return tamper


def _valued(doc: dict, asset: str | None = None) -> dict:
    """The first provider entry with a ratio (and collateral in `asset`): the devnet declares three."""
    found = [
        e
        for e in doc["providers"]["entries"]
        if e["ratio_bp"] is not None and asset in (None, e["collateral"]["asset"])
    ]
    assert found, "the devnet's attestation has a valued provider"
    return found[0]


def _other_state(entry: dict) -> None:
    entry["previous_state"] = "liquidatable" if entry["previous_state"] != "liquidatable" else "healthy"


def _raise_price(price: dict) -> None:
    assert price is not None and price["fresh"], "the devnet's attestation values USD collateral with a fresh price"
    price["price_e8"] = str(int(price["price_e8"]) * 101 // 100)


# Format 5's providers member (the devnet declares three, one with USD collateral), tampered so that one thing
# is wrong: (tamper, the check that must fail in the browser as in reserves verify).
PROVIDER_TAMPERS: dict[str, tuple[Callable[[dict], None], str]] = {
    "provider_ratio": (lambda doc: _valued(doc).update(ratio_bp=str(int(_valued(doc)["ratio_bp"]) + 1)), "providers"),
    "provider_state_healthy": (_liquidatable(lambda e: e.update(state="healthy")), "providers"),
    "provider_penalty_removed": (_liquidatable(lambda e: e.update(penalty_sat=None)), "providers"),
    "provider_reasons_emptied": (_liquidatable(lambda e: e.update(reasons=[])), "providers"),
    "provider_price": (lambda doc: (_valued(doc, "USD"), _raise_price(doc["providers"]["price"])), "providers"),
    "provider_names_reordered": (lambda doc: doc["providers"]["entries"].reverse(), "providers"),
    "provider_previous_state": (lambda doc: _other_state(doc["providers"]["entries"][0]), "chain.providers"),
}


@pytest.mark.parametrize("what", sorted(PROVIDER_TAMPERS))
def test_tampered_providers_fail_as_reserves_verify_fails_them(portal, third, what):
    second, newest = portal["envs"]
    assert newest["attestation"]["providers"] is not None, "the devnet declares providers"
    tampered = copy.deepcopy(newest)
    change, check = PROVIDER_TAMPERS[what]
    change(tampered["attestation"])
    third.serve(tampered)
    result = third.verify(newest["id"], pinned=portal["engine"])
    assert_same(result, reference(tampered, second, portal["engine"]))
    assert result[0] == "fail" and result[1][check] == "fail"
    # The page lists the problems as reserves verify does, word for word.
    shown = third.page.inner_text(f"[data-verify-checks] tr[data-check='{check}'] td:nth-of-type(2)")
    assert shown == reference_detail(tampered, second, portal["engine"], check)
    third.clean()


def _entry(which: str, change: Callable[[dict], None]) -> Callable[[dict], None]:
    """Change one signature entry of an envelope: the engine's ("engine"), a guardian's, or the EIP-712 one."""

    def tamper(env: dict) -> None:
        doc = env["attestation"]
        engine = doc["signers"]["engine"]["pubkey"]
        kinds = {
            "engine": lambda e: e.get("pubkey") == engine,
            "guardian": lambda e: e["alg"] == "bip340" and e["pubkey"] != engine,
            "eip712": lambda e: e["alg"] == "eip712",
        }
        found = [i for i, e in enumerate(doc["signatures"]) if kinds[which](e)]
        require(bool(found), f"no {which} signature in the devnet's attestation")
        change_at = found[0]
        entry = doc["signatures"][change_at]
        replaced = change(entry)
        if replaced is not None:
            doc["signatures"][change_at] = replaced

    return tamper


def _put(name: str, value: Callable[[Any], Any]) -> Callable[[dict], None]:
    return lambda entry: entry.__setitem__(name, value(entry.get(name)))


# Outside the id (the envelope's id, the signature entries): `reserves verify` fails them by its `schema` or `id`
# check, so the browser must too.
ENVELOPE_TAMPERS = {
    "envelope_id_zeros": lambda env: env.__setitem__("id", "0" * 64),
    "entry_extra_member": _entry("engine", _put("extra", lambda _: "x")),
    "entry_sig_upper_case": _entry("engine", _put("sig", str.upper)),
    "entry_pubkey_upper_case": _entry("engine", _put("pubkey", str.upper)),
    "entry_guardian_key_id_markup": _entry("guardian", _put("key_id", lambda _: "<img src=x>")),
    "entry_key_id_too_long": _entry("engine", _put("key_id", lambda _: "k" * 65)),
    "entry_key_id_empty": _entry("guardian", _put("key_id", lambda _: "")),
    "entry_key_id_newline": _entry("engine", _put("key_id", lambda v: v + "\n")),
    "entry_missing_key_id": _entry("engine", lambda e: e.pop("key_id") and None),
    "entry_missing_pubkey": _entry("guardian", lambda e: e.pop("pubkey") and None),
    "entry_sig_not_string": _entry("engine", _put("sig", lambda _: 1)),
    "entry_sig_short": _entry("guardian", _put("sig", lambda v: v[:-2])),
    "entry_unknown_alg": _entry("guardian", _put("alg", lambda _: "ed25519")),
    "entry_alg_missing": _entry("guardian", lambda e: e.pop("alg") and None),
    "entry_not_an_object": _entry("guardian", lambda e: "x"),
    "entry_bip340_with_address": _entry("engine", _put("address", lambda _: "0x" + "0" * 40)),
    "entry_eip712_address_upper_case": _entry("eip712", _put("address", lambda v: "0x" + v[2:].upper())),
    "entry_eip712_extra_member": _entry("eip712", _put("pubkey", lambda _: "0" * 64)),
    "signatures_not_a_list": lambda env: env["attestation"].__setitem__("signatures", {}),
}


@pytest.mark.parametrize("what", sorted(ENVELOPE_TAMPERS))
def test_what_the_id_does_not_cover_fails_as_reserves_verify_fails_it(portal, third, what):
    second, newest = portal["envs"]
    tampered = copy.deepcopy(newest)
    ENVELOPE_TAMPERS[what](tampered)
    third.serve(tampered, at=newest["id"])
    result = third.verify(newest["id"], pinned=portal["engine"])
    expected = reference(tampered, second, portal["engine"])
    assert not all(expected.values()), "reserves verify fails it"
    assert_same(result, expected)
    assert result[0] == "fail"
    assert result[1].get("schema") == "fail" or result[1]["id"] == "fail"
    # Whatever a served entry says is shown as text, never as markup.
    assert third.page.locator("[data-verify-checks] img").count() == 0
    third.clean()


def test_the_id_checked_is_the_one_in_the_address_not_the_page(portal, third):
    """A server renders another attestation's page (its figures, its data-attestation-id) at /attestations/X:
    the browser checks X, the id in the address, and shows X's own figures next to the verdict."""
    second, newest = portal["envs"]
    decoy = third.page.request.get(f"{portal['base']}/attestations/{second['id']}").text()
    assert f'data-attestation-id="{second["id"]}"' in decoy
    asked: list[str] = []

    def record(request) -> None:
        if "/api/v1/attestations/" in request.url:
            asked.append(request.url)

    third.page.on("request", record)
    third.page.route(
        f"{portal['base']}/attestations/{newest['id']}",
        lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=decoy),
    )
    third.page.goto(f"{portal['base']}/attestations/{newest['id']}")
    assert third.page.get_attribute("#attestation", "data-sequence") == str(second["attestation"]["sequence"])
    result = third.verify(newest["id"], pinned=portal["engine"])
    assert result[0] == "pass"
    assert asked[0] == f"{portal['base']}/api/v1/attestations/{newest['id']}"
    assert_figures(third.figures(), newest)  # not the page's: the holder sees they differ
    third.page.remove_listener("request", record)
    third.clean()
    third.page.goto(f"{portal['base']}/attestations/{newest['id']}")


def test_a_genuine_older_attestation_served_under_the_address_fails_the_id(portal, third):
    second, newest = portal["envs"]
    third.serve(second, at=newest["id"])
    result = third.verify(newest["id"], pinned=portal["engine"])
    assert result[0] == "fail" and result[1]["id"] == "fail" and result[1]["signatures"] == "pass"
    assert newest["id"] in third.page.inner_text("[data-verify-checks] tr[data-check=id]")
    assert_figures(third.figures(), second)
    third.clean()


def test_an_address_without_an_id_is_refused(portal, browser):  # noqa: F811
    run = Run(browser, portal["base"])
    newest = portal["envs"][-1]
    html = run.page.request.get(f"{portal['base']}/attestations/{newest['id']}").text()
    for path in (f"/attestations/{newest['id'].upper()}", f"/attestations/{newest['id']}/", "/attestations/x"):
        run.page.route(
            portal["base"] + path,
            lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html),
        )
        run.page.goto(portal["base"] + path)
        result = run.verify(path, pinned=portal["engine"])
        assert result == ("error", {})
        assert "is not /attestations/<64 lowercase hex digits>" in run.page.inner_text("[data-verify-overall]")
        assert run.page.locator("[data-verify-document]").is_hidden()
        run.page.unroute_all()
    run.close()


def test_a_previous_not_served_leaves_the_link_not_checked(portal, third):
    second, newest = portal["envs"]
    third.page.route(
        f"{portal['base']}/api/v1/attestations/{second['id']}",
        lambda route: route.fulfill(status=404, content_type="application/json", body='{"detail": "not found"}'),
    )
    result = third.verify(newest["id"], pinned=portal["engine"])
    # As reserves verify without --previous: the document's own checks, and the link not checked.
    assert_same(result, reference(newest, None, portal["engine"]))
    assert result[0] == "pass" and result[1]["chain"] == SKIP
    assert not any(name.startswith(("previous.", "chain.")) for name in result[1])
    assert "not served here" in third.page.inner_text("[data-verify-checks] tr[data-check=chain]")
    assert "not checked" in third.page.inner_text("[data-verify-overall]")
    # Chromium logs the 404 itself; nothing else went wrong.
    third.errors[:] = [e for e in third.errors if "404" not in e]
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
