"""Property tests of the integer rules: liabilities round up, ratio floors, status is monotonic."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reserves.attestation.arithmetic import (
    MAX_FUTURE_BLOCK_SECONDS,
    MAX_SPAN_SECONDS,
    Observation,
    Policy,
    decide_status,
    format_timestamp,
    in_future,
    liabilities_sat,
    older_than,
    parse_timestamp,
    ratio_bp,
    stale_reasons,
)
from reserves.errors import InvalidInput

NOW = datetime(2025, 3, 1, 12, tzinfo=timezone.utc)
supply = st.integers(min_value=0, max_value=2**256 - 1)
decimals = st.integers(min_value=0, max_value=77)
sats = st.integers(min_value=0, max_value=21_000_000 * 10**8 * 10)
fresh = [Observation("reserve source", "a", block_time=NOW, max_age_seconds=60)]


@given(supply, decimals)
def test_liabilities_never_undercount_and_are_minimal(total, dec):
    sat = liabilities_sat(total, dec)
    assert sat * 10**dec >= total * 10**8
    assert sat == 0 or (sat - 1) * 10**dec < total * 10**8


@pytest.mark.parametrize(
    "total,dec,expected",
    [
        (0, 18, 0),
        (1, 18, 1),
        (10**10, 18, 1),
        (10**10 + 1, 18, 2),
        (10**18, 18, 10**8),
        (5, 8, 5),
        (5, 0, 5 * 10**8),
        (123, 2, 123 * 10**6),
    ],
)
def test_liabilities_examples(total, dec, expected):
    assert liabilities_sat(total, dec) == expected


@pytest.mark.parametrize("total,dec", [(-1, 8), (1, -1), (1, 78), (1.5, 8), (True, 8), ("5", 8)])
def test_liabilities_reject_bad_input(total, dec):
    with pytest.raises(InvalidInput):
        liabilities_sat(total, dec)


@given(sats, sats)
def test_ratio_is_floor(reserves, liabilities):
    r = ratio_bp(reserves, liabilities)
    if liabilities == 0:
        assert r is None
    else:
        assert r * liabilities <= reserves * 10_000 < (r + 1) * liabilities


RANK = {"undercollateralized": 0, "warning": 1, "healthy": 2}


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(10_000, 20_000))
def test_status_monotonic_in_ratio(r1, r2, warning):
    lo, hi = sorted((r1, r2))
    policy = Policy(warning)
    s_lo, _ = decide_status(issued_at=NOW, observations=fresh, ratio=lo, liabilities=1, policy=policy)
    s_hi, _ = decide_status(issued_at=NOW, observations=fresh, ratio=hi, liabilities=1, policy=policy)
    assert RANK[s_lo] <= RANK[s_hi]


@given(st.integers(0, 10**6), st.integers(10_000, 20_000))
def test_status_thresholds(r, warning):
    status, reasons = decide_status(issued_at=NOW, observations=fresh, ratio=r, liabilities=1, policy=Policy(warning))
    expected = "undercollateralized" if r < 10_000 else "warning" if r < warning else "healthy"
    assert status == expected
    assert (reasons == []) == (status == "healthy")


@given(st.integers(0, 10**6), st.booleans())
def test_failed_or_old_source_is_always_stale(r, failed):
    ob = (
        Observation("reserve source", "a", error_code="chain_unavailable")
        if failed
        else Observation("reserve source", "a", block_time=NOW - timedelta(seconds=61), max_age_seconds=60)
    )
    status, reasons = decide_status(
        issued_at=NOW, observations=fresh + [ob], ratio=r, liabilities=1, policy=Policy(10_500)
    )
    assert status == "stale"
    assert reasons and "reserve source a" in reasons[0]


def test_exactly_max_age_is_fresh():
    ob = Observation("supply deployment", "eth", block_time=NOW - timedelta(seconds=60), max_age_seconds=60)
    assert decide_status(issued_at=NOW, observations=[ob], ratio=None, liabilities=0, policy=Policy(10_000)) == (
        "healthy",
        [],
    )


def test_future_tolerance_is_bitcoins_two_hours():
    assert MAX_FUTURE_BLOCK_SECONDS == 7200


def test_block_up_to_two_hours_ahead_is_fresh():
    ob = Observation("reserve source", "cold", block_time=NOW + timedelta(hours=2), max_age_seconds=60)
    assert decide_status(issued_at=NOW, observations=[ob], ratio=None, liabilities=0, policy=Policy(10_000)) == (
        "healthy",
        [],
    )


@pytest.mark.parametrize("label", ["reserve source", "supply deployment"])
def test_block_more_than_two_hours_ahead_is_stale(label):
    # A peer dating its block ahead (or our clock running behind) must not stay fresh for max_age + offset.
    ob = Observation(label, "x", block_time=NOW + timedelta(hours=2, seconds=1), max_age_seconds=10**9)
    status, reasons = decide_status(
        issued_at=NOW, observations=fresh + [ob], ratio=20_000, liabilities=1, policy=Policy(10_500)
    )
    assert status == "stale"
    assert reasons == [
        f"{label} x: block_time 2025-03-01T14:00:01Z is in the future, more than 7200 seconds after issued_at"
    ]


@given(st.integers(7201, 10**9), st.integers(0, 10**6))
def test_any_future_block_is_stale_and_keeps_the_low_ratio(ahead, r):
    ob = Observation("supply deployment", "eth", block_time=NOW + timedelta(seconds=ahead), max_age_seconds=3600)
    status, reasons = decide_status(issued_at=NOW, observations=[ob], ratio=r, liabilities=1, policy=Policy(10_500))
    assert status == "stale" and "is in the future" in reasons[0]
    assert len(reasons) == (1 if r >= 10_500 else 2)


def test_zero_supply_is_healthy_without_ratio():
    assert decide_status(issued_at=NOW, observations=fresh, ratio=None, liabilities=0, policy=Policy(10_500)) == (
        "healthy",
        [],
    )


def test_missing_ratio_with_positive_supply_is_a_bug():
    with pytest.raises(InvalidInput):
        decide_status(issued_at=NOW, observations=fresh, ratio=None, liabilities=5, policy=Policy(10_500))


@pytest.mark.parametrize("bad", [9_999, -1, 1.5, "10500"])
def test_policy_validation(bad):
    with pytest.raises(InvalidInput):
        Policy(bad)


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(timezone.utc)))
def test_timestamp_round_trip(moment):
    text = format_timestamp(moment)
    assert parse_timestamp(text) == moment.replace(microsecond=0)


@pytest.mark.parametrize(
    "bad",
    [
        "2025-3-01T12:00:00Z",
        "2025-03-01T12:00:00",
        "2025-02-30T12:00:00Z",
        "2025-03-01T12:00:00.5Z",
        "2025-03-01 12:00:00Z",
        None,
        5,
    ],
)
def test_timestamp_rejects(bad):
    with pytest.raises(InvalidInput):
        parse_timestamp(bad)


def test_naive_datetime_rejected():
    with pytest.raises(InvalidInput):
        format_timestamp(datetime(2025, 1, 1))


@pytest.mark.parametrize("max_age", [2**53 - 1, MAX_SPAN_SECONDS + 1, MAX_SPAN_SECONDS])
def test_any_schema_valid_max_age_is_judged_without_overflow(max_age):
    # The schema allows max_age_seconds up to 2**53 - 1; a timedelta that large overflows.
    ancient = Observation(
        "reserve source", "a", block_time=datetime(1, 1, 1, tzinfo=timezone.utc), max_age_seconds=max_age
    )
    assert stale_reasons(NOW, [ancient]) == []
    assert older_than(datetime(1, 1, 1, tzinfo=timezone.utc), NOW, 60)


def test_an_issued_at_at_the_end_of_time_is_judged_without_overflow():
    end = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    ob = Observation("reserve source", "a", block_time=end, max_age_seconds=60)
    assert stale_reasons(end, [ob]) == [] and not in_future(end, end)
    assert in_future(end, end - timedelta(hours=3))


@pytest.mark.parametrize("text", ["0999-12-31T23:59:59Z", "999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"])
def test_years_before_1000_are_refused_on_every_platform(text):
    with pytest.raises(InvalidInput):
        parse_timestamp(text)
    assert parse_timestamp("1000-01-01T00:00:00Z").year == 1000


def test_timestamps_are_spelled_the_same_on_every_platform():
    assert format_timestamp(datetime(1000, 1, 2, 3, 4, 5, 999, tzinfo=timezone.utc)) == "1000-01-02T03:04:05Z"
    with pytest.raises(InvalidInput):
        format_timestamp(datetime(999, 1, 1, tzinfo=timezone.utc))
