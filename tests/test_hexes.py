"""The shared hex validators (chains.hexes): lengths, case rules and whole-string matching."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chains import hexes
from chains.hexes import (
    EVM_QUANTITY,
    HEADER_HEX,
    HEX32,
    HEX64,
    HEX128,
    is_evm_address,
    is_evm_data,
    is_evm_hash,
    is_evm_quantity,
    is_hex64,
    is_hex_bytes,
)

TXID = "ab" * 32
UPPER = "AB" * 32


@pytest.mark.parametrize(
    ("value", "lower", "any_case"),
    [
        (TXID, True, True),
        (UPPER, False, True),
        ("aB" * 32, False, True),
        (TXID[:-1], False, False),
        (TXID + "a", False, False),
        (TXID + "\n", False, False),
        ("0x" + TXID, False, False),
        ("gg" * 32, False, False),
        (" " + TXID[1:], False, False),
        (b"ab" * 32, False, False),
        (None, False, False),
        ("\uff21" * 64, False, False),
    ],  # fullwidth "A" lowers to a non-ASCII letter, never to hex
)
def test_hex64_and_its_case_rule(value: object, lower: bool, any_case: bool) -> None:
    assert is_hex64(value) is lower
    assert is_hex64(value, any_case=True) is any_case


def test_fixed_length_patterns_match_whole_strings_only() -> None:
    for pattern, digits in ((HEX32, 32), (HEX64, 64), (HEX128, 128), (HEADER_HEX, 160)):
        assert pattern.fullmatch("0f" * (digits // 2))
        assert not pattern.fullmatch("0f" * (digits // 2) + "\n")
        assert not pattern.fullmatch("0F" * (digits // 2))
        assert not pattern.fullmatch("0f" * (digits // 2 - 1))


def test_no_pattern_is_anchored() -> None:
    # Anchors would break embedding (the devnet's routes) and `$` would pass a final "\n".
    for name in dir(hexes):
        value = getattr(hexes, name)
        if isinstance(value, re.Pattern):
            assert not re.search(r"[\^$]", value.pattern), name


def test_hex_bytes() -> None:
    assert is_hex_bytes("") and is_hex_bytes("00ff") and not is_hex_bytes("0ff")
    assert not is_hex_bytes("00FF") and is_hex_bytes("00FF", any_case=True)


def test_evm_values() -> None:
    assert is_evm_hash("0x" + TXID) and not is_evm_hash("0x" + UPPER) and is_evm_hash("0x" + UPPER, any_case=True)
    assert not is_evm_hash("0X" + TXID, any_case=True) and not is_evm_hash(TXID)
    assert is_evm_data("0x") and is_evm_data("0x00ab") and not is_evm_data("0x0ab") and not is_evm_data("00")
    assert is_evm_data("0xABCD", any_case=True) and not is_evm_data("0xABCD")
    address = "0x52908400098527886E0F7030069857D2E4169EE7"
    assert is_evm_address(address) and is_evm_address(address.lower())
    assert not is_evm_address(address[:-1]) and not is_evm_address("0X" + address[2:])


@pytest.mark.parametrize(
    ("value", "lower", "any_case"),
    [
        ("0x0", True, True),
        ("0x1a", True, True),
        ("0x1A", False, True),
        ("0x", False, False),
        ("0x01", False, False),
        ("0X1a", False, False),
        ("1a", False, False),
        (26, False, False),
    ],
)
def test_quantities(value: object, lower: bool, any_case: bool) -> None:
    assert is_evm_quantity(value) is lower
    assert is_evm_quantity(value, any_case=True) is any_case


@given(st.text(st.sampled_from("0123456789abcdefABCDEFx\n\uff21"), min_size=62, max_size=66) | st.text(max_size=70))
def test_any_case_means_the_old_either_case_patterns(text: str) -> None:
    # The call sites that accepted either case used these expressions before chains.hexes.
    assert is_hex64(text, any_case=True) == bool(re.fullmatch(r"[0-9a-fA-F]{64}", text))
    quantity = "0x" + text
    assert is_evm_quantity(quantity, any_case=True) == bool(re.fullmatch(r"0x(0|[1-9a-fA-F][0-9a-fA-F]*)", quantity))
    assert is_evm_data(quantity, any_case=True) == bool(re.fullmatch(r"0x([0-9a-fA-F]{2})*", quantity))
    assert bool(EVM_QUANTITY.fullmatch(quantity)) == is_evm_quantity(quantity)
