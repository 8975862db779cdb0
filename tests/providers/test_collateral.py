"""Collateral arithmetic and the `providers` member: rounding properties, states with hysteresis on
recovery only, unknown on failed reads or prices, and tampered members failing `check`."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chains.base import BlockRef
from reserves.attestation import collateral as co
from reserves.attestation.members import providers as lp
from reserves.errors import InvalidInput

ISSUED = datetime(2027, 1, 10, 12, 0, tzinfo=timezone.utc)
BTC_CHAIN = "bip122:0f9188f13cb7b2c71f2a335e3a4fc328"
EVM_CHAIN = "eip155:31338"
PRICE = co.Price(co.PAIR, 9_712_345_000_000, ISSUED, True, "test-price-stub")
GOLDEN = Path(__file__).with_name("providers_member.golden.json")

units = st.integers(min_value=0, max_value=10**30)
decimals = st.integers(min_value=0, max_value=36)


@given(units, decimals)
def test_btc_collateral_never_exceeds_the_exact_value_and_the_obligation_never_falls_below_it(u, d):
    exact = Fraction(u * 10**8, 10**d)
    assert co.btc_sat(u, d, up=False) <= exact < co.btc_sat(u, d, up=False) + 1
    assert co.obligation_sat(u, d) >= exact > co.obligation_sat(u, d) - 1


@given(units, decimals, st.integers(min_value=1, max_value=10**16))
def test_usd_collateral_is_valued_down(u, d, price):
    exact = Fraction(u, 10**d) * 10**8 * 10**8 / price
    sat = co.collateral_sat(u, d, "USD", price)
    # Two floors, both against the provider: USD to 10**-8 first (less than 10**8 / price satoshis), then satoshis.
    assert sat <= exact < sat + 1 + Fraction(10**8, price)


@given(st.integers(min_value=0, max_value=10**20), st.integers(min_value=1, max_value=10**20))
def test_the_ratio_is_never_above_the_exact_ratio(collateral, obligation):
    r = co.ratio_bp(collateral, obligation)
    assert r is not None and r <= Fraction(collateral * 10_000, obligation) < r + 1


@given(st.integers(min_value=0, max_value=10**20), st.integers(min_value=0, max_value=10_000))
def test_the_penalty_rounds_up_in_the_holders_favour(obligation, bp):
    p = co.penalty_sat(obligation, bp)
    assert p >= Fraction(obligation * bp, 10_000) > p - 1


def test_the_brief_example_price_and_a_usd_value():
    # 97,123.45 USD per BTC; 97,123.45 USDd (6 decimals) is exactly one BTC, one unit less is below it.
    assert co.collateral_sat(97_123_450_000, 6, "USD", 9_712_345_000_000) == 100_000_000
    assert co.collateral_sat(97_123_449_999, 6, "USD", 9_712_345_000_000) == 99_999_999


T = co.Thresholds()  # 150 %, 120 %, band 1 %, penalty 10 %


@pytest.mark.parametrize(
    "path",
    [
        # (ratio, expected state) in order, each state carried into the next
        [(16_000, "healthy"), (14_999, "warning"), (15_050, "warning"), (15_100, "healthy")],
        [(16_000, "healthy"), (11_999, "liquidatable"), (12_050, "liquidatable"), (12_100, "warning")],
        [(13_000, "warning"), (11_000, "liquidatable"), (15_050, "warning"), (15_099, "warning"), (15_200, "healthy")],
        [(15_000, "warning"), (15_000, "warning"), (12_000, "warning"), (11_999, "liquidatable")],
        [(12_050, "liquidatable"), (15_050, "warning"), (16_000, "healthy"), (15_000, "healthy")],
    ],
)
def test_states_worsen_at_once_and_recover_only_past_the_band(path):
    previous = None
    for ratio, want in path:
        state, _ = co.level(ratio, T, previous)
        assert (ratio, previous, state) == (ratio, previous, want)
        previous = state


def block(chain: str, height: int = 100, age: int = 60) -> BlockRef:
    hash_ = ("0x" if chain.startswith("eip155") else "") + f"{height:064x}"
    return BlockRef(chain, height, hash_, ISSUED - timedelta(seconds=age))


def btc_leg(sat: int | None, **kw) -> lp.LegResult:
    base = dict(
        kind="bitcoin", chain_id=BTC_CHAIN, asset="BTC", decimals=8, addresses=("bcrt1qexample",), max_age_seconds=600
    )
    if sat is None:
        return lp.LegResult(**base, error_code="chain_unavailable", error_detail="down", **kw)
    return lp.LegResult(**base, block=kw.pop("block", block(BTC_CHAIN)), amount=sat, **kw)


def usd_leg(units_: int | None) -> lp.LegResult:
    base = dict(
        kind="evm-erc20",
        chain_id=EVM_CHAIN,
        asset="USD",
        decimals=6,
        addresses=("0x" + "ab" * 20,),
        max_age_seconds=600,
        token="0x" + "cd" * 20,
    )
    if units_ is None:
        return lp.LegResult(**base, error_code="timeout", error_detail="no answer")
    return lp.LegResult(**base, block=block(EVM_CHAIN, 20), amount=units_)


def member(*results, price=PRICE, previous=None) -> dict:
    return lp.member(lp.ProvidersInput(tuple(results), T, price, previous or {}), ISSUED)


def doc(m: dict) -> dict:
    return {"issued_at": "2027-01-10T12:00:00Z", "sequence": 3, "providers": m}


def test_a_liquidatable_provider_owes_the_penalty_and_the_member_checks():
    m = member(lp.ProviderResult("lp-a", btc_leg(50_000_000), btc_leg(55_000_001)), previous={"lp-a": "warning"})
    (e,) = m["entries"]
    assert (e["ratio_bp"], e["state"], e["penalty_sat"]) == ("11000", "liquidatable", "5000000")
    assert lp.check(doc(m)) == []


@pytest.mark.parametrize(
    "obligation,collateral,price,why",
    [
        (btc_leg(None), usd_leg(80_000_000_000), PRICE, "obligation not read"),
        (btc_leg(50_000_000), usd_leg(None), PRICE, "collateral not read"),
        (btc_leg(50_000_000), usd_leg(80_000_000_000), None, "no price"),
        (btc_leg(50_000_000), usd_leg(80_000_000_000), co.Price(co.PAIR, 1, ISSUED, False, "old"), "not fresh"),
        (btc_leg(50_000_000, block=block(BTC_CHAIN, age=601)), usd_leg(80_000_000_000), PRICE, "older than"),
    ],
)
def test_failed_reads_stale_blocks_and_missing_prices_are_unknown_never_healthy(obligation, collateral, price, why):
    m = member(lp.ProviderResult("lp-b", obligation, collateral), price=price, previous={"lp-b": "healthy"})
    (e,) = m["entries"]
    assert e["state"] == "unknown" and e["ratio_bp"] is None and e["penalty_sat"] is None
    assert any(why in r for r in e["reasons"])
    assert lp.check(doc(m)) == []


def evm_btc_leg(units_: int, decimals_: int) -> lp.LegResult:
    """A native coin counted as BTC (`decimals_` per coin) on EVM_CHAIN."""
    return lp.LegResult(
        kind="evm-native",
        chain_id=EVM_CHAIN,
        asset="BTC",
        decimals=decimals_,
        addresses=("0x" + "ab" * 20,),
        max_age_seconds=600,
        block=block(EVM_CHAIN, 20),
        amount=units_,
    )


@pytest.mark.parametrize(
    "obligation,collateral,why",
    [
        (btc_leg(1), evm_btc_leg(2**256 - 1, 0), "collateral beyond 78 digits (86)"),
        (evm_btc_leg(10**78 - 1, 0), btc_leg(1), "obligation beyond 78 digits (86)"),
        (btc_leg(1), btc_leg(10**77), "ratio beyond 78 digits (82)"),
        # A raw amount the member cannot even list (nine holders at 2**256 - 1): the leg is an error.
        (btc_leg(1), evm_btc_leg(9 * (2**256 - 1), 0), "collateral not read (invalid_reading)"),
        (evm_btc_leg(10**78, 18), btc_leg(1), "obligation not read (invalid_reading)"),
    ],
)
def test_an_absurd_reading_is_unknown_and_the_member_keeps_its_schema(obligation, collateral, why):
    # A hostile or broken node can answer any uint256: the figures it gives would not fit the
    # schema's 78 digits. The provider is then unknown; the snapshot and the member stay valid.
    m = member(lp.ProviderResult("lp-x", obligation, collateral), previous={"lp-x": "healthy"})
    (e,) = m["entries"]
    assert (e["state"], e["ratio_bp"], e["penalty_sat"]) == ("unknown", None, None)
    assert any(why in r for r in e["reasons"]), e["reasons"]
    jsonschema.validate(m, lp.load_schema())
    assert lp.check(doc(m)) == []


def good_member() -> dict:
    return member(
        lp.ProviderResult("lp-a", btc_leg(50_000_000), usd_leg(60_000_000_000)),
        lp.ProviderResult("lp-b", btc_leg(30_000_000), btc_leg(60_000_000)),
        previous={"lp-a": "warning"},
    )


TAMPERS = [
    lambda m: m["entries"][0].update(ratio_bp="20000"),
    lambda m: m["entries"][0].update(state="healthy"),
    lambda m: m["entries"][0].update(obligation_sat="50000001"),
    lambda m: m["entries"][1].update(penalty_sat="1"),
    lambda m: m["entries"][1]["collateral"].update(amount="1"),
    lambda m: m["entries"][0]["collateral"].update(decimals=2),
    lambda m: m["thresholds"].update(warning_below_bp="11000"),
    lambda m: m["price"].update(price_e8="1000000000000"),
    lambda m: m["price"].update(fresh=False),
    lambda m: m["entries"].reverse(),
    lambda m: m["entries"][0]["obligation"].update(asset="USD"),
    lambda m: m["entries"][0].update(reasons=[]),
]


@pytest.mark.parametrize("tamper", range(len(TAMPERS)))
def test_a_tampered_member_fails_check(tamper):
    m = good_member()
    assert lp.check(doc(m)) == []
    bad = copy.deepcopy(m)
    TAMPERS[tamper](bad)
    assert bad != m and lp.check(doc(bad)), json.dumps(bad)[:300]


def test_the_built_member_matches_its_schema_and_the_golden_fragment():
    schema = lp.load_schema()
    m = good_member()
    jsonschema.validate(m, schema)
    assert m == json.loads(GOLDEN.read_text())
    bad = copy.deepcopy(m)
    bad["entries"][0]["state"] = "solvent"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_chain_check_holds_previous_state_against_the_attestation_before():
    before = doc(member(lp.ProviderResult("lp-a", btc_leg(50_000_000), usd_leg(60_000_000_000))))
    now = doc(good_member())
    problems, _ = lp.chain_check([before], now, False)
    assert problems == []  # lp-a was in warning before, lp-b is new (None)
    now["providers"]["entries"][0]["previous_state"] = "healthy"
    assert lp.chain_check([before], now, False)[0]


@pytest.mark.parametrize(
    "kwargs",
    [dict(warning_below_bp=11_000), dict(penalty_bp=10_001), dict(hysteresis_bp=-1), dict(liquidatable_below_bp=True)],
)
def test_thresholds_refuse_nonsense(kwargs):
    with pytest.raises(InvalidInput):
        co.Thresholds(**kwargs)
