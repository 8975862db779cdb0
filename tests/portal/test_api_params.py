"""The OpenAPI declarations (portal.api.params) accept exactly what the services accept."""

from __future__ import annotations

import base64
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from chains.hexes import HEX32, HEX64, HEX64_ANY_CASE, HEX128
from portal.api import params
from reserves.attestation.fields import ADDRESS
from reserves.errors import InvalidInput
from reserves.proofs.message import check_nonce
from reserves.read.service import decode_cursor, encode_cursor


@given(st.text(alphabet="0123456789abcdefABCDEFxg", min_size=30, max_size=130))
def test_hex_patterns_are_the_services(text):
    # Declared pattern, service check (lowercasing first where the service does).
    pairs = [
        (params.HEX32, HEX32.fullmatch(text)),
        (params.HEX64, HEX64.fullmatch(text)),
        (params.HEX64_ANY_CASE, HEX64_ANY_CASE.fullmatch(text)),
        (params.HEX128_ANY_CASE, HEX128.fullmatch(text.lower())),
        (params.ADDRESS, ADDRESS.fullmatch(text)),
    ]
    for declared, service in pairs:
        assert bool(re.fullmatch(declared, text)) == bool(service), (declared, text)


@given(st.text(max_size=140))
def test_the_nonce_pattern_is_the_services(nonce):
    try:
        check_nonce(nonce)
        accepted = True
    except InvalidInput:
        accepted = False
    assert bool(re.fullmatch(params.NONCE, nonce)) == accepted, nonce


@given(st.integers(min_value=0, max_value=10**15 - 1))
def test_every_cursor_the_api_makes_matches_the_pattern(n):
    assert re.fullmatch(params.CURSOR, encode_cursor(n))


@settings(max_examples=300)
@given(st.from_regex(params.CURSOR, fullmatch=True))
def test_every_string_the_cursor_pattern_accepts_is_a_cursor(cursor):
    assert decode_cursor(cursor) >= 0


@settings(max_examples=300)
@given(st.text(alphabet="czoxwMNODTjzAEIMQUYcgk0125_-=!", max_size=24))
def test_a_string_the_pattern_refuses_is_refused(cursor):
    if re.fullmatch(params.CURSOR, cursor):
        return
    try:
        decode_cursor(cursor)
    except InvalidInput:
        return
    # Accepted without matching: only a cursor of 16 digits (below 2**53) may be.
    assert len(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))) == 18, cursor


def test_number_ranges_with_leading_zeros():
    for low, high in ((1, 500), (0, 10_000_000)):
        pattern = re.compile(params.in_range(low, high))
        for n in (*range(0, 1200), *range(9_999_000, 10_000_010)):
            assert bool(pattern.fullmatch(str(n))) == (low <= n <= high), (low, high, n)
            assert bool(pattern.fullmatch("00" + str(n))) == (low <= n <= high), (low, high, n)
