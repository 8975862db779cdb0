"""The median and its filters: each verdict, stale rounds, and properties (hypothesis) of the median."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from reserves.prices.aggregate import (
    Memory,
    Observation,
    PricePolicy,
    aggregate,
    deviates,
    median,
    memories,
    to_e8,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
POLICY = PricePolicy()


def obs(name: str, value: str | None, *, age: float = 0, failure: str | None = None) -> Observation:
    if failure:
        return Observation(name, "price-ticker", failure=failure, detail="x")
    return Observation(name, "price-ticker", D(value), NOW - timedelta(seconds=age))


def reasons(result) -> dict[str, str]:
    return {v.source: v.reason for v in result.verdicts}


def test_every_reason_is_named_and_the_honest_median_stands():
    result = aggregate(
        "BTC/USD",
        [
            obs("a", "67000"),
            obs("b", "67100"),
            obs("c", "66950.5"),
            obs("liar", "70000"),  # 4.3 % above
            obs("zero", "0"),
            obs("neg", "-5"),
            obs("absurd", "50000000"),
            obs("old", "67000", age=301),
            obs("future", "67000", age=-61),
            obs("t", None, failure="timeout"),
            obs("u", None, failure="unavailable"),
            obs("m", None, failure="malformed"),
        ],
        POLICY,
        NOW,
    )
    assert reasons(result) == {
        "a": "ok",
        "b": "ok",
        "c": "ok",
        "liar": "deviation",
        "zero": "zero",
        "neg": "negative",
        "absurd": "absurd",
        "old": "too_old",
        "future": "future",
        "t": "timeout",
        "u": "unavailable",
        "m": "malformed",
    }
    assert result.status == "fresh" and result.reason is None and result.kept == 3
    assert result.price == D("67000") and result.price_e8 == 6_700_000_000_000
    assert result.first_median == D("67050")  # over a, b, c and the liar


def test_a_value_unchanged_past_its_heartbeat_is_frozen_and_a_new_value_resets_it():
    first = aggregate("BTC/USD", [obs("a", "100")], POLICY, NOW)
    assert first.verdicts[0].since == NOW
    later = NOW + timedelta(seconds=301)
    same = Observation("a", "price-ticker", D("100"), later)
    assert aggregate("BTC/USD", [same], POLICY, later, memories(first.verdicts)).verdicts[0].reason == "frozen"
    at_heartbeat = NOW + timedelta(seconds=300)
    same = Observation("a", "price-ticker", D("100"), at_heartbeat)
    assert aggregate("BTC/USD", [same], POLICY, at_heartbeat, memories(first.verdicts)).verdicts[0].reason == "ok"
    moved = Observation("a", "price-ticker", D("100.01"), later)
    verdict = aggregate("BTC/USD", [moved], POLICY, later, memories(first.verdicts)).verdicts[0]
    assert verdict.reason == "ok" and verdict.since == later


def test_too_few_sources_kept_is_stale_and_no_source_at_all_says_so():
    result = aggregate("BTC/USD", [obs("a", "100"), obs("b", "100.5"), obs("c", None, failure="timeout")], POLICY, NOW)
    assert result.status == "stale" and result.reason == "too_few_sources" and result.price == D("100.25")
    empty = aggregate("BTC/USD", [], POLICY, NOW)
    assert (empty.status, empty.reason, empty.price, empty.price_e8) == ("stale", "no_sources", None, None)


def test_deviation_is_exact_at_the_boundary():
    assert not deviates(D("102"), D("100"), 200)  # exactly 2 %: kept
    assert deviates(D("102.00000001"), D("100"), 200)
    assert not deviates(D("98"), D("100"), 200) and deviates(D("97.99999999"), D("100"), 200)


def test_median_and_e8_are_exact():
    assert median([D("0.1"), D("0.2")]) == D("0.15")
    assert median([D("1"), D("3"), D("2")]) == D("2")
    big = D("123456789012345678901234567890.123456789012345678901234567890123456")
    bigger = D("123456789012345678901234567890.123456789012345678901234567890123457")
    # 67 digits: the default context (28) would round this median; ours does not.
    assert median([big, bigger]) == D("123456789012345678901234567890.1234567890123456789012345678901234565")
    assert to_e8(D("67012.123456789")) == 6_701_212_345_678  # floored
    assert to_e8(D("0.000000019")) == 1


prices = st.decimals(min_value=D("10000"), max_value=D("100000"), places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(
    honest=st.lists(prices, min_size=3, max_size=9),
    outlier=st.decimals(min_value=D("-1e9"), max_value=D("1e9"), places=4),
    data=st.data(),
)
def test_one_outlier_never_moves_a_fresh_price_outside_the_honest_range(honest, outlier, data):
    observations = [obs(f"h{i}", str(v)) for i, v in enumerate(honest)] + [obs("x", str(outlier))]
    shuffled = data.draw(st.permutations(observations))
    result = aggregate("BTC/USD", shuffled, POLICY, NOW)
    if result.status == "fresh":
        assert min(honest) <= result.price <= max(honest)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(prices, min_size=1, max_size=12), data=st.data())
def test_the_result_does_not_depend_on_the_order_of_the_sources(values, data):
    observations = [obs(f"s{i:02d}", str(v)) for i, v in enumerate(values)]
    shuffled = data.draw(st.permutations(observations))
    assert aggregate("BTC/USD", observations, POLICY, NOW) == aggregate("BTC/USD", shuffled, POLICY, NOW)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(prices, min_size=1, max_size=12))
def test_the_median_is_exact_and_between_the_middle_values(values):
    m = median(values)
    ordered = sorted(values)
    lo, hi = ordered[(len(values) - 1) // 2], ordered[len(values) // 2]
    assert lo <= m <= hi and 2 * m == lo + hi  # exact: no rounding anywhere
    below = sum(v < m for v in values)
    above = sum(v > m for v in values)
    assert below <= len(values) // 2 and above <= len(values) // 2


@settings(max_examples=200, deadline=None)
@given(values=st.lists(prices, min_size=3, max_size=12))
def test_every_kept_source_is_within_the_deviation_of_the_first_median(values):
    result = aggregate("BTC/USD", [obs(f"s{i}", str(v)) for i, v in enumerate(values)], POLICY, NOW)
    for v in result.verdicts:
        assert v.kept == (not deviates(v.value, result.first_median, POLICY.deviation_bp))


def test_memory_is_only_kept_for_sources_that_gave_a_value():
    result = aggregate("BTC/USD", [obs("a", "100"), obs("b", None, failure="timeout")], POLICY, NOW)
    assert memories(result.verdicts) == {"a": Memory(D("100"), NOW)}


def test_a_frozen_source_that_fails_now_and_then_is_still_frozen():
    # The same value for 600 s, failing every other round: the memory is carried through the failures.
    memory: dict = {}
    reasons_seen = []
    for i in range(21):  # a round every 30 s
        at = NOW + timedelta(seconds=30 * i)
        o = (
            Observation("a", "price-ticker", failure="timeout", detail="x")
            if i % 2
            else Observation("a", "price-ticker", D("100"), at)
        )
        result = aggregate("BTC/USD", [o], POLICY, at, memory)
        memory = memories(result.verdicts, memory)
        reasons_seen.append(result.verdicts[0].reason)
    assert reasons_seen[:10:2] == ["ok"] * 5  # 0 to 240 s: within the 300 s heartbeat
    assert reasons_seen[12::2] == ["frozen"] * 5 and set(reasons_seen[1::2]) == {"timeout"}
    assert memory["a"] == Memory(D("100"), NOW)
