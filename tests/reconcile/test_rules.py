"""The integer rules (expected mint, owed release) and the pairing of Transfer logs with Mint/Burn logs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reserves.errors import InvalidInput
from reserves.reconcile import rules
from reserves.reconcile.claims import build_claims
from reserves.storage.supply_models import ZERO_ADDRESS, SupplyEventRow
from tests.reconcile.helpers import burn_pair, mint_pair, transfer

SATS = st.integers(min_value=0, max_value=21_000_000 * 10**8)
FEES = st.builds(rules.Fees, st.integers(0, 10_000), st.integers(0, 10**8), st.integers(0, 10**8))


def test_the_fee_formula_on_known_values():
    fees = rules.Fees(mint_fee_bp=20)
    assert rules.expected_mint(1_000_000, fees, 8) == 998_000
    assert rules.expected_mint(1_000_000, fees, 18) == 998_000 * 10**10
    assert rules.expected_mint(1_000_000, fees, 6) == 9_980
    assert rules.expected_mint(1_234, rules.Fees(20, 500), 8) == 1_234 - 2 - 500  # bp floored: 2.468 -> 2
    assert rules.expected_mint(400, rules.Fees(0, 500), 8) == 0  # never negative
    with pytest.raises(InvalidInput):
        rules.expected_mint(1_000_050, fees, 6)  # 998050 sat: not whole units
    for bad in (-1, 78, True, 8.0):
        with pytest.raises(InvalidInput):
            rules.expected_mint(1, fees, bad)


@given(SATS, FEES, st.integers(8, 40))
def test_expected_mint_scales_the_net_deposit_exactly(value, fees, decimals):
    units = rules.expected_mint(value, fees, decimals)
    net = rules.net_deposit_sat(value, fees)
    assert units == net * 10 ** (decimals - 8) and 0 <= net <= value
    assert rules.owed_sat(units, decimals) == net


@given(SATS, FEES, st.integers(0, 7))
def test_below_eight_decimals_either_exact_or_refused(value, fees, decimals):
    net = rules.net_deposit_sat(value, fees)
    try:
        units = rules.expected_mint(value, fees, decimals)
    except InvalidInput:
        assert net % 10 ** (8 - decimals) != 0
    else:
        assert units * 10 ** (8 - decimals) == net


@given(st.integers(0, 10**40), st.integers(0, 30), FEES)
def test_a_release_need_is_owed_minus_the_fee_allowance_and_at_least_one_sat(amount, decimals, fees):
    need = rules.min_release_sat(amount, decimals, fees)
    assert need >= 1 and need >= rules.owed_sat(amount, decimals) - fees.release_fee_max_sat


def test_reason_codes_and_statuses_are_distinct():
    assert len(set(rules.REASONS)) == len(rules.REASONS)
    assert set(rules.STATUSES) == {
        "reconciled",
        "pending",
        "unreconciled",
        "released",
        "awaiting_release",
        "unreleased",
    }


# -- pairing -----------------------------------------------------------------------------------


def test_mint_and_burn_logs_pair_with_their_transfers():
    rows = mint_pair("d", 1, 0, 50, "aa" * 32, 1) + burn_pair("d", 2, 0, 7, "bcrt1qxyz") + [transfer("d", 3, 0, 9)]
    claims = build_claims(reversed(rows))
    assert [(c.kind, c.block_number, c.log_index, c.has_data) for c in claims] == [
        ("mint", 1, 0, True),
        ("burn", 2, 0, True),
        ("mint", 3, 0, False),
    ]
    assert (claims[0].deposit_txid, claims[0].deposit_vout, claims[1].btc_address) == ("aa" * 32, 1, "bcrt1qxyz")


def test_two_mints_in_one_transaction_pair_in_order_and_lone_logs_stand_alone():
    tx = "0x" + "cd" * 32
    rows = mint_pair("d", 5, 0, 10, "01" * 32, 0, tx=tx) + mint_pair("d", 5, 2, 10, "02" * 32, 0, tx=tx)
    lone = SupplyEventRow(
        deployment="d",
        block_number=6,
        log_index=4,
        block_hash="0x" + "00" * 32,
        tx_hash="0x" + "ef" * 32,
        kind="mint",
        to_address=None,
        amount=3,
        deposit_txid="03" * 32,
        deposit_vout=2,
    )
    plain = SupplyEventRow(
        deployment="d",
        block_number=6,
        log_index=5,
        block_hash="0x" + "00" * 32,
        tx_hash="0x" + "ef" * 32,
        kind="transfer",
        from_address="0x" + "11" * 20,
        to_address="0x" + "22" * 20,
        amount=3,
    )
    weird = SupplyEventRow(
        deployment="d",
        block_number=6,
        log_index=6,
        block_hash="0x" + "00" * 32,
        tx_hash="0x" + "ef" * 32,
        kind="transfer",
        from_address=ZERO_ADDRESS,
        to_address=ZERO_ADDRESS,
        amount=3,
    )
    claims = build_claims(rows + [lone, plain, weird])
    assert [(c.block_number, c.log_index, c.deposit_txid) for c in claims] == [
        (5, 0, "01" * 32),
        (5, 2, "02" * 32),
        (6, 4, "03" * 32),
    ]


def test_a_mint_log_of_another_amount_does_not_pair():
    t = transfer("d", 1, 0, 10)
    m = mint_pair("d", 1, 0, 11, "aa" * 32, 0)[1]
    claims = build_claims([t, m])
    assert [(c.log_index, c.has_data) for c in claims] == [(0, False), (1, True)]
