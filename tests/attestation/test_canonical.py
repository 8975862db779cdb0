"""Canonical bytes and ids: key order does not matter, strict domain, strict JSON parsing."""

from __future__ import annotations

import hashlib
import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reserves.attestation.canonical import attestation_id, canonical_bytes, jcs, parse_json, split
from reserves.errors import InvalidInput

scalars = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


def shuffled(value, rng):
    """The same JSON value with every object's members in a random insertion order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


@given(st.dictionaries(st.text(max_size=8), values, max_size=6), st.integers(0, 2**32))
def test_id_stable_under_key_reordering(body, seed):
    body.pop("signatures", None)
    assert attestation_id(shuffled(body, random.Random(seed))) == attestation_id(body)


@given(st.dictionaries(st.text(max_size=8), values, max_size=6))
def test_round_trip_through_json_text(body):
    raw = canonical_bytes(body)
    assert json.loads(raw) == body
    assert canonical_bytes(json.loads(raw)) == raw  # canonical form is a fixed point
    assert attestation_id(body) == hashlib.sha256(raw).hexdigest()


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_plain_jcs_numbers_round_trip(x):
    assert float(jcs(x)) == x


def test_signatures_are_not_part_of_the_id():
    body = {"a": "1"}
    assert attestation_id({**body, "signatures": [{"sig": "x"}]}) == attestation_id(body)
    assert split({**body, "signatures": [1]}) == (body, [1])
    assert split(body) == (body, [])


@pytest.mark.parametrize(
    "body,fragment",
    [
        ({"amount": 1.0}, "floats"),
        ({"amount": 2**53}, "JSON-safe"),
        ({"amount": -(2**300)}, "JSON-safe"),
        ({1: "x"}, "not a string"),
        ({"x": {1, 2}}, "unsupported type"),
        ({"x": b"bytes"}, "unsupported type"),
        ({"x": "\ud800"}, "Unicode"),  # lone surrogate is not UTF-8
    ],
)
def test_strict_domain(body, fragment):
    with pytest.raises(InvalidInput, match=fragment):
        canonical_bytes(body)


def test_deep_nesting_rejected_cleanly():
    deep = "leaf"
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(InvalidInput, match="nested"):
        canonical_bytes({"x": deep})


def test_non_object_body_rejected():
    with pytest.raises(InvalidInput):
        canonical_bytes(["not", "an", "object"])


@pytest.mark.parametrize(
    "text", ['{"a": NaN}', '{"a": Infinity}', '{"a": 1, "a": 2}', "{", "[" * 100_000 + "]" * 100_000, b"\xff\xfe"]
)
def test_parse_json_strict(text):
    with pytest.raises(InvalidInput):
        parse_json(text)


def test_parse_json_size_limit():
    with pytest.raises(InvalidInput, match="larger"):
        parse_json('"' + "a" * 100 + '"', max_bytes=50)


def test_deep_json_is_refused_even_with_a_raised_recursion_limit():
    """py-evm raises the recursion limit at import; deep input must still be a clean InvalidInput."""
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        for text in ["[" * 200_000 + "]" * 200_000, '{"a":' * 100_000 + "1" + "}" * 100_000]:
            with pytest.raises(InvalidInput, match="nested too deeply"):
                parse_json(text)
    finally:
        sys.setrecursionlimit(old)


def test_brackets_inside_strings_do_not_count_as_nesting():
    from reserves.attestation.canonical import nesting_depth

    assert nesting_depth(b'{"a": "[[[[{{{{\\"[["}') == 1
    assert parse_json('{"a": "' + "[" * 10_000 + '"}') == {"a": "[" * 10_000}
