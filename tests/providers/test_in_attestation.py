"""The `providers` member inside format 5: written by the builder (null when no provider is declared),
re-derived by `reserves verify` on one document and held against the document before over a chain."""

from __future__ import annotations

import copy
import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest

from reserves.attestation import formats, verify_document
from reserves.attestation.members import providers as lp
from reserves.attestation.verify import verify_chain
from reserves.prices.lookup import StoredPrice
from reserves.providers import price
from reserves.settings.model import PriceSettings
from tests.attestation.helpers import key, make_doc_v4, make_doc_v5
from tests.providers.test_collateral import ISSUED, PRICE, T, btc_leg, usd_leg

TRUST = {key(7, "engine").pubkey_hex: "engine"}


def given(previous: dict | None = None, price=PRICE, collateral_units: int = 60_000_000_000) -> lp.ProvidersInput:
    results = (
        lp.ProviderResult("lp-a", btc_leg(50_000_000), usd_leg(collateral_units)),
        lp.ProviderResult("lp-b", btc_leg(30_000_000), btc_leg(60_000_000)),
    )
    return lp.ProvidersInput(results, T, price, lp.states(previous))


def failed(report) -> set[str]:
    return {c.name for c in report.failed()}


def doc_at(sequence: int, previous: dict | None = None, **kw) -> dict:
    # The legs' blocks are 60 s before the collateral tests' ISSUED: a minute apart, well within max_age.
    issued = ISSUED + timedelta(minutes=sequence)
    return make_doc_v5(sequence, previous, issued=issued, providers=given(previous, **kw))


def test_a_format_5_document_carries_the_member_and_verifies():
    d = doc_at(0)
    report = verify_document(d, trusted_keys=TRUST)
    assert report.ok, report.failed()
    assert [e["name"] for e in d["providers"]["entries"]] == ["lp-a", "lp-b"]
    assert [e["state"] for e in d["providers"]["entries"]] == ["warning", "healthy"]
    assert d["providers"]["price"]["price_e8"] == str(PRICE.price_e8)
    assert "providers" in {c.name for c in report.checks}


def test_without_providers_the_member_is_null_and_verifies():
    d = make_doc_v5(0)
    assert d["providers"] is None and verify_document(d, trusted_keys=TRUST).ok


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m: m["entries"][0].update(state="healthy", reasons=[]),
        lambda m: m["entries"][1].update(ratio_bp="30000"),
        lambda m: m["price"].update(price_e8="1"),
        lambda m: m["entries"][0]["collateral"].update(amount="999999999999"),
        lambda m: m["thresholds"].update(warning_below_bp="12000"),  # lp-a (123 %) would be healthy
    ],
)
def test_a_tampered_member_fails_the_providers_check_of_reserves_verify(tamper):
    d = copy.deepcopy(doc_at(0))
    tamper(d["providers"])
    assert "providers" in failed(verify_document(d, trusted_keys=TRUST))


def test_a_member_removed_or_a_wrong_kind_fails_the_schema():
    d = copy.deepcopy(doc_at(0))
    del d["providers"]
    assert "schema" in failed(verify_document(d, trusted_keys=TRUST))
    d["providers"] = {"entries": "all healthy"}
    assert "schema" in failed(verify_document(d, trusted_keys=TRUST))


def test_over_a_chain_each_previous_state_is_the_state_before():
    first = doc_at(0, collateral_units=55_000_000_000)  # 113 %: liquidatable
    second = doc_at(1, first)  # 123 %: still within the band above 120 %: held liquidatable
    third = doc_at(2, second, collateral_units=80_000_000_000)  # 164 %: healthy
    states = [[e["state"] for e in d["providers"]["entries"]] for d in (first, second, third)]
    assert states == [["liquidatable", "healthy"], ["warning", "healthy"], ["healthy", "healthy"]]
    assert second["providers"]["entries"][0]["previous_state"] == "liquidatable"
    report = verify_chain([first, second, third], TRUST)
    assert report.ok, report.failed()
    forged = copy.deepcopy(second)
    forged["providers"]["entries"][0]["previous_state"] = "healthy"  # as if it had never fallen
    assert not verify_chain([first, forged], TRUST).ok


def test_the_engine_writes_format_5_once_providers_are_declared():
    f4 = make_doc_v4(0)
    assert formats.for_engine(None, False) is formats.F4 and formats.for_engine(f4, False) is formats.F4
    assert formats.for_engine(f4, True) is formats.F5
    assert formats.for_engine(doc_at(0), False) is formats.F5  # a chain never goes back


def test_the_largest_max_age_the_schema_allows_is_judged_not_crashed_on():
    d = copy.deepcopy(doc_at(0))
    d["providers"]["entries"][0]["obligation"]["max_age_seconds"] = 2**53 - 1
    d["reserves"]["sources"][0]["max_age_seconds"] = 2**53 - 1
    report = verify_document(d, trusted_keys=TRUST)  # an OverflowError escaped here before
    names = {c.name: c.ok for c in report.checks}
    assert names["schema"] and names["providers"] and "internal" not in names, report.failed()
    assert not report.ok  # the signature covers what was changed


@pytest.mark.parametrize(
    "change",
    [
        {"time": "2000-01-01T00:00:00Z"},  # called fresh, 27 years old
        {"time": "2027-01-10T12:00:01Z"},  # called fresh, dated after the attestation
        {"kept": 2},  # called fresh without its quorum of 3
        {"sources": 2},  # kept more sources than the round had
        {"max_age_seconds": 2**53 - 1, "time": "2000-01-01T00:00:00Z"},  # consistent: the rule accepts it
    ],
)
def test_a_price_called_fresh_is_held_to_what_the_member_shows(change):
    d = copy.deepcopy(doc_at(0))
    d["providers"]["price"].update(change)
    ok = "providers" not in failed(verify_document(d, trusted_keys=TRUST))
    assert ok is (change.get("max_age_seconds") == 2**53 - 1), change


def stored(status="fresh", price="67000.123456789", at=ISSUED, kept=3, total=4):
    return StoredPrice("BTC/USD", at, None, Decimal(price), status, None, total, kept)


def test_the_engine_judges_a_round_at_issued_at_and_rounds_the_price_against_the_provider():
    settings = PriceSettings(interval_seconds=30.0)  # max age 90 s
    p = price.judged(stored(), settings, ISSUED + timedelta(seconds=90))
    assert p is not None and p.fresh and p.price_e8 == 6_700_012_345_679  # 67000.12345678|9 rounded up
    assert (p.max_age_seconds, p.sources, p.kept, p.min_sources) == (90, 4, 3, 3)
    assert p.source == "median of 3 of 4 sources (BTC/USD, round of 30 s)"
    assert not price.judged(stored(), settings, ISSUED + timedelta(seconds=91)).fresh  # type: ignore[union-attr]
    assert not price.judged(stored(status="stale", kept=2), settings, ISSUED).fresh  # type: ignore[union-attr]
    assert not price.judged(stored(at=ISSUED + timedelta(seconds=1)), settings, ISSUED).fresh  # type: ignore[union-attr]
    assert price.judged(None, settings, ISSUED) is None
    # Whatever the engine decides, the member it builds checks.
    for s_ in (stored(), stored(status="stale", kept=1)):
        judged_price = price.judged(s_, settings, ISSUED + timedelta(seconds=5))
        m = lp.member(dataclasses.replace(given(), price=judged_price), ISSUED + timedelta(seconds=5))
        assert lp.check({"issued_at": "2027-01-10T12:00:05Z", "sequence": 0, "providers": m}) == []
