"""Reconciliation statuses, reason codes and the integer rules: the expected mint, the owed release."""

from __future__ import annotations

from dataclasses import dataclass

from reserves.errors import InvalidInput

SAT_DECIMALS = 8  # 1 BTC = 10**8 sats
BP_SCALE = 10_000

# Statuses of a mint item, of a burn item.
MINT_STATUSES = ("reconciled", "pending", "unreconciled")
BURN_STATUSES = ("released", "awaiting_release", "unreleased")
STATUSES = MINT_STATUSES + BURN_STATUSES
# Items with these statuses are settled: not checked against Bitcoin again unless their event changes.
SETTLED = ("reconciled", "released")

# Reason codes (machine readable). Mints:
NO_DEPOSIT_LINK = "no_deposit_link"  # a Transfer from 0x0 without Mint data or operator link
DEPOSIT_NOT_FOUND = "deposit_not_found"  # Esplora does not know the deposit transaction
OUTPUT_NOT_FOUND = "output_not_found"  # the transaction has no such output
NOT_RESERVE_ADDRESS = "not_reserve_address"  # the output pays no declared reserve address
AMOUNT_MISMATCH = "amount_mismatch"  # mint != deposit net of fee (expected, actual given)
DEPOSIT_REUSED = "deposit_reused"  # an earlier mint already claims this deposit
FEE_NOT_REPRESENTABLE = "fee_not_representable"  # decimals < 8 and the net sats do not divide evenly
DEPOSIT_FROM_RESERVE = "deposit_from_reserve"  # the "deposit" spends reserve outputs: an internal move, no new BTC
# Burns:
NO_RELEASE_ADDRESS = "no_release_address"  # a Transfer to 0x0 without Burn data or operator link
INVALID_ADDRESS = "invalid_address"  # the Burn names no valid address of the reserve network
RELEASE_DEADLINE_PASSED = "release_deadline_passed"
RELEASE_INVALID = "release_invalid"  # an operator-linked release that does not qualify
RESERVE_ADDRESS = "reserve_address"  # the burn names a reserve address: paying it releases nothing
# Transient (status pending / awaiting_release): will be checked again.
SHALLOW = "shallow"  # deposit found, fewer confirmations than required
NO_ESPLORA_SOURCE = "no_esplora_source"  # no reserve source is read through Esplora
BITCOIN_UNAVAILABLE = "bitcoin_unavailable"  # Esplora failed or answered garbage this run
DECIMALS_UNKNOWN = "decimals_unknown"  # the deployment's decimals are not known yet
HISTORY_TOO_LONG = "history_too_long"  # the burn address has too many transactions to read

MINT_REASONS = (
    NO_DEPOSIT_LINK,
    DEPOSIT_NOT_FOUND,
    OUTPUT_NOT_FOUND,
    NOT_RESERVE_ADDRESS,
    AMOUNT_MISMATCH,
    DEPOSIT_REUSED,
    FEE_NOT_REPRESENTABLE,
    DEPOSIT_FROM_RESERVE,
)
BURN_REASONS = (NO_RELEASE_ADDRESS, INVALID_ADDRESS, RELEASE_DEADLINE_PASSED, RELEASE_INVALID, RESERVE_ADDRESS)
TRANSIENT_REASONS = (SHALLOW, NO_ESPLORA_SOURCE, BITCOIN_UNAVAILABLE, DECIMALS_UNKNOWN, HISTORY_TOO_LONG)
REASONS = MINT_REASONS + BURN_REASONS + TRANSIENT_REASONS

# A burn not released this many Bitcoin blocks after the job first saw it is `unreleased`
# (about a day on mainnet; the devnet, with a block every few seconds, uses its own short one).
RELEASE_DEADLINE_BLOCKS = 144
DEVNET_RELEASE_DEADLINE_BLOCKS = 12


@dataclass(frozen=True)
class Fees:
    """The declared fee schedule: mint fee in basis points plus a flat fee (sats); the largest network
    fee a release may take off the burned amount (sats)."""

    mint_fee_bp: int = 0
    mint_fee_sat: int = 0
    release_fee_max_sat: int = 0


def net_deposit_sat(value_sat: int, fees: Fees) -> int:
    """value - floor(value * bp / 10000) - flat fee, in sats; never below 0."""
    return max(0, value_sat - value_sat * fees.mint_fee_bp // BP_SCALE - fees.mint_fee_sat)


def expected_mint(value_sat: int, fees: Fees, decimals: int) -> int:
    """Token units a deposit of `value_sat` entitles to, exactly.

    decimals >= 8: net sats * 10**(decimals - 8). decimals < 8: net sats / 10**(8 - decimals), which
    must divide exactly (else InvalidInput: the fee schedule cannot be honoured to the unit).
    """
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 77:
        raise InvalidInput("decimals must be an integer from 0 to 77")
    net = net_deposit_sat(value_sat, fees)
    if decimals >= SAT_DECIMALS:
        return net * 10 ** (decimals - SAT_DECIMALS)
    scale = 10 ** (SAT_DECIMALS - decimals)
    if net % scale:
        raise InvalidInput(f"{net} sat is not a whole number of token units at {decimals} decimals")
    return net // scale


def owed_sat(amount: int, decimals: int) -> int:
    """Sats a burn of `amount` token units is owed, rounded down (a fraction of a sat cannot be paid)."""
    if decimals >= SAT_DECIMALS:
        return amount // 10 ** (decimals - SAT_DECIMALS)
    return amount * 10 ** (SAT_DECIMALS - decimals)


def min_release_sat(amount: int, decimals: int, fees: Fees) -> int:
    """The least a release output must pay for a burn: owed sats minus the allowed network fee (>= 1)."""
    return max(1, owed_sat(amount, decimals) - fees.release_fee_max_sat)
