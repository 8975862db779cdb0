"""Supply read models and the dashboard's supply table, from hand-made format 2 and 3 attestation bodies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reserves.read import display, views
from reserves.read import supply as sv
from tests.portal import supply_samples as ss
from tests.support import render_template


@pytest.mark.parametrize(
    "units, decimals, text",
    [
        (0, 8, "0.00000000"),
        (123_456_789, 8, "1.23456789"),
        (10**8 * 21_000_000, 8, "21,000,000.00000000"),
        (123_456_789, 6, "123.45678900"),
        (5, 0, "5.00000000"),
        (4 * 10**17, 18, "0.40000000"),
        (10**18 + 1, 18, "1.000000000000000001"),
        (-150, 8, "-0.00000150"),
        ("2500", 2, "25.00000000"),
    ],
)
def test_token_units_are_exact_with_at_least_satoshi_places(units, decimals, text):
    assert display.token_units(units, decimals) == text


@given(st.integers(min_value=0, max_value=2**256 - 1), st.integers(min_value=0, max_value=77))
def test_token_units_round_trip(units, decimals):
    whole, frac = display.token_units(units, decimals).replace(",", "").split(".")
    assert len(frac) >= 8 and frac[decimals:].strip("0") == ""
    assert int(whole) * 10**decimals + int(frac[:decimals] or "0") * 10 ** max(0, decimals - len(frac)) == units


def test_none_stays_none():
    assert (
        display.token_units(None, 8) is None
        and display.token_units(1, None) is None
        and display.short_hash(None) is None
    )


def test_format_3_terms_bridge_and_rpc():
    view = sv.supply_view("ab" * 32, ss.body_v3())
    assert view.rule == sv.RULE_FORMAT_3 and view.complete and view.format == "reserves-attestation/3"
    assert view.total_sat == view.sum_sat == str(ss.TOTAL_SAT) and view.total_btc == "133.25378900"
    eth, bridged, l2 = (
        next(d for d in view.deployments if d.name == n) for n in ("devnet-ethereum", "devnet-bridged", "devnet-l2")
    )
    assert [(h.category, h.balance_btc) for h in eth.held] == [
        ("lockbox", "0.50000000"),
        ("treasury", "0.20000000"),
        ("burn", "0.00300000"),
    ]
    assert eth.held[0].bridge == "devnet-bridged" and eth.circulating_btc == "9.29700000"
    assert eth.rpc.text == "2 of 2 endpoints agree; quorum 2" and eth.bridge is None
    assert eth.block_hash_short.startswith("0x") and "…" in eth.block_hash_short
    b = bridged.bridge
    assert bridged.role == "bridge" and bridged.bridge_source == "devnet-ethereum" and bridged.held == []
    assert (b.locked, b.locked_btc, b.locked_sat) == ("50000000", "0.50000000", "50000000")
    assert (b.minted_btc, b.minted_sat, b.counted, b.source_failed) == ("0.40000000", "40000000", "locked", False)
    assert bridged.supply_sat == "50000000" and bridged.total_supply_btc == "0.40000000"
    assert l2.rpc is None and l2.total_supply_btc == "123.45678900" and l2.supply_btc == "123.45678900"


def test_a_failed_deployment_and_a_bridge_whose_source_failed():
    body = ss.body_v3(failed=True)
    eth = next(d for d in body["supply"]["deployments"] if d["name"] == "devnet-ethereum")
    for key in (
        "height",
        "block_hash",
        "block_time",
        "decimals",
        "total_supply",
        "held",
        "circulating",
        "supply_sat",
        "rpc",
        "max_age_seconds",
    ):
        eth.pop(key)
    eth["error"] = {"code": "rpc_disagreement", "detail": "endpoints disagree at block 120"}
    body["supply"]["total_sat"] = str(ss.TOTAL_SAT - 929_700_000)
    view = sv.supply_view("ab" * 32, body)
    assert not view.complete and view.sum_sat == view.total_sat
    failed = {d.name: d for d in view.deployments if d.error}
    assert set(failed) == {"solana", "devnet-ethereum"} and failed["solana"].error_code == "chain_unavailable"
    bridge = next(d for d in view.deployments if d.name == "devnet-bridged").bridge
    assert bridge.source_failed and bridge.locked == "0" and bridge.counted == "minted"


def test_format_2_renders_as_native_without_held_terms():
    view = sv.supply_view("cd" * 32, ss.body_v2())
    [dep] = view.deployments
    assert view.rule == sv.RULE_LEGACY and dep.role == "native" and dep.held == [] and dep.bridge is None
    assert dep.circulating == dep.total_supply and dep.supply_btc == "10.00000000" and dep.rpc is None


@pytest.mark.parametrize(
    "rpc, text",
    [
        (
            {"endpoints": 3, "answered": 2, "agreed": 2, "quorum": 2},
            "2 of 3 endpoints agree (1 did not answer); quorum 2",
        ),
        ({"endpoints": 1, "answered": 1, "agreed": 1, "quorum": 1}, "1 of 1 endpoint agrees; quorum 1"),
    ],
)
def test_rpc_agreement_in_words(rpc, text):
    assert sv.rpc_view(rpc).text == text


def render(body: dict) -> str:
    deployments = views.deployment_views(body["supply"]["deployments"])
    view = views.DashboardView(
        has_data=True,
        devnet=True,
        token_symbol="RBTC",
        issuer_name="I",
        stale_after_seconds=60,
        status="healthy",
        published_status="healthy",
        ratio_bp=body["ratio_bp"],
        sequence=0,
        attestation_id="ab" * 32,
        liabilities_sat=body["supply"]["total_sat"],
        liabilities_btc=display.btc(body["supply"]["total_sat"]),
        supply_rule=sv.supply_rule(body),
        deployments=deployments,
        partial=any(d.error for d in deployments),
    )
    return render_template("pages/supply.html", v=view)


def test_the_table_shows_every_term():
    html = render(ss.body_v3(failed=True))
    for text in (
        "devnet-ethereum",
        "devnet-bridged",
        "bridge representation of devnet-ethereum",
        "minus lockbox of devnet-bridged: Bridge lockbox",
        "minus treasury: Issuer treasury",
        "−0.20000000 RBTC",
        "−0.00300000 RBTC",
        "locked 0.50000000",
        "minted 0.40000000",
        "the locked side counts",
        "in circulation 9.29700000 RBTC",
        "2 of 2 endpoints agree; quorum 2",
        "one endpoint",
        "not read, counts nothing: chain_unavailable: all endpoints timed out",
        sv.RULE_FORMAT_3,
        'data-total-sat="13325378900"',
        "133.25378900 BTC",
        ss.ETHEREUM["block_hash"],
        "#120",
    ):
        assert text in html, text
    assert html.count('scope="rowgroup"') == 4 and html.count("<tbody data-deployment=") == 4


def test_hostile_reasons_are_escaped():
    body = ss.body_v3()
    eth = next(d for d in body["supply"]["deployments"] if d["name"] == "devnet-ethereum")
    eth["held"][1]["reason"] = '<script>alert(1)</script>"'
    html = render(body)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;&#34;" in html


def test_the_legacy_table():
    html = render(ss.body_v2())
    assert sv.RULE_LEGACY in html and "minus" not in html and "10.00000000 RBTC" in html
