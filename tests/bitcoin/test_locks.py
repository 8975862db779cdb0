"""Time locks of miniscript spending paths: which path is open at a tip, else the earliest unlock."""

from __future__ import annotations

import time

import pytest
from embit.descriptor import Descriptor

from chains.base import TimeLock
from chains.bitcoin.locks import UNKNOWN_TIME, LockAnalysisError, fragments, spending_paths, unlock_at

# Public keys (secp256k1 generator multiples 2G..5G): no key material of anyone.
A = "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
B = "02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9"
C = "02e493dbf1c10d80f3581e4904930b1404cc6c13900ee0758474fa94abe8c4cd13"
D = "022f8bde4d1a07209355b4a7250a5c5128e88b84bddc619ab7cba8d569b240efe4"
T = 1_700_000_000  # an after() time (>= 500,000,000)
TIME_FLAG = 1 << 22


def paths(miniscript: str):
    return spending_paths(Descriptor.from_string(f"wsh({miniscript})").miniscript)


def lock(
    miniscript: str, utxo_height: int | None, tip_height: int, tip_mtp: int | None = None, utxo_mtp: int | None = None
):
    return unlock_at(
        paths(miniscript),
        utxo_height=utxo_height,
        tip_height=tip_height,
        tip_median_time=tip_mtp,
        utxo_median_time=utxo_mtp,
    )


RECOVERY = f"or_d(multi(2,{A},{B},{C}),and_v(v:pk({D}),after(800000)))"


@pytest.mark.parametrize("utxo_height", [None, 10, 799_990])
def test_multisig_with_recovery_branch_is_open_now(utxo_height) -> None:
    assert lock(RECOVERY, utxo_height, 20) is None
    assert fragments(Descriptor.from_string(f"wsh({RECOVERY})").miniscript) == ("after(800000)",)


@pytest.mark.parametrize(
    "plain",
    [
        f"multi(2,{A},{B},{C})",
        f"sortedmulti(1,{A},{B})",
        f"pk({A})",
        f"pkh({A})",
        f"and_v(v:pk({A}),pk({B}))",
        f"or_b(pk({A}),s:pk({B}))",
    ],
)
def test_scripts_without_locks_are_never_locked(plain: str) -> None:
    assert lock(plain, None, 0) is None and lock(plain, 5, 5) is None


def test_absolute_height_lock_opens_in_block_n_plus_one() -> None:
    script = f"and_v(v:pk({D}),after(800000))"
    # after(800000): nLockTime 800000 is final in a block of height 800001 and above.
    assert lock(script, 10, 799_998) == TimeLock("height", 800_001, False)
    assert lock(script, 10, 799_999) == TimeLock("height", 800_001, False)
    assert lock(script, 10, 800_000) is None  # the next block is 800001
    assert lock(script, None, 900_000) is None  # absolute locks do not care about confirmation


def test_absolute_time_lock_needs_median_time_past_above_t() -> None:
    script = f"and_v(v:pk({D}),after({T}))"
    assert lock(script, 10, 100, tip_mtp=T - 1) == TimeLock("time", T + 1, False)
    assert lock(script, 10, 100, tip_mtp=T) == TimeLock("time", T + 1, False)  # needs MTP > T
    assert lock(script, 10, 100, tip_mtp=T + 1) is None
    assert lock(script, 10, 100, tip_mtp=None) == TimeLock("time", T + 1, False)  # unknown: closed


def test_relative_height_lock_counts_from_the_outputs_block() -> None:
    script = f"and_v(v:pk({D}),older(144))"
    assert lock(script, 100, 242) == TimeLock("height", 244, True)
    assert lock(script, 100, 243) is None  # the next block is 244 = 100 + 144
    assert lock(script, None, 500) == TimeLock("height", 645, True)  # unconfirmed: locked, from the next block


def test_relative_time_lock_in_512_second_units() -> None:
    script = f"and_v(v:pk({D}),older({TIME_FLAG | 10}))"  # 10 * 512 = 5120 s
    base = 1_600_000_000
    assert lock(script, 100, 200, tip_mtp=base + 5119, utxo_mtp=base) == TimeLock("time", base + 5120, True)
    assert lock(script, 100, 200, tip_mtp=base + 5120, utxo_mtp=base) is None
    # Without the output's time the tip's stands in: later, never earlier.
    assert lock(script, 100, 200, tip_mtp=base + 9000) == TimeLock("time", base + 9000 + 5120, True)
    assert lock(script, 100, 200) == TimeLock("time", UNKNOWN_TIME, True)
    assert lock(script, None, 200, tip_mtp=base, utxo_mtp=base - 10**6) == TimeLock("time", base + 5120, True)
    # Bits outside the type flag and the low 16 bits are not part of the value (BIP-68).
    assert lock(f"and_v(v:pk({D}),older({TIME_FLAG | 1 << 20 | 2}))", 1, 2, tip_mtp=base + 1024, utxo_mtp=base) is None


def test_or_i_picks_the_earliest_path() -> None:
    script = f"or_i(and_v(v:pk({A}),after(100)),and_v(v:pk({B}),older(5)))"
    assert lock(script, 50, 52) == TimeLock("height", 55, True)
    assert lock(script, 50, 54) is None
    assert lock(script, 98, 99) == TimeLock("height", 101, False)  # after(100) opens before 98 + 5
    assert lock(script, 98, 100) is None
    assert lock(script, None, 60) == TimeLock("height", 66, True)


def test_height_against_time_compares_estimated_waits() -> None:
    script = f"or_i(and_v(v:pk({A}),after(1000)),and_v(v:pk({B}),after({T})))"
    assert lock(script, 1, 900, tip_mtp=T - 3600) == TimeLock("time", T + 1, False)  # 1 h against ~100 blocks
    assert lock(script, 1, 990, tip_mtp=T - 86_400) == TimeLock("height", 1001, False)


def test_a_path_reports_its_latest_lock() -> None:
    script = f"and_v(v:pk({A}),and_v(v:after(100),older(10)))"
    assert lock(script, 95, 96) == TimeLock("height", 105, True)
    assert lock(script, 50, 96) == TimeLock("height", 101, False)
    assert lock(script, 50, 100) is None


def test_thresh() -> None:
    two = f"thresh(2,pk({A}),s:pk({B}),sln:older(10))"
    assert lock(two, 5, 5) is None  # A and B
    three = f"thresh(3,pk({A}),s:pk({B}),sln:older(10))"
    assert lock(three, 5, 5) == TimeLock("height", 15, True)
    assert lock(three, 5, 14) is None
    pair = f"thresh(2,pk({A}),sln:older(10),sln:older(20))"
    assert [p.older_blocks for p in paths(pair)] == [10]  # A with older(10) dominates the others


def test_large_thresh_is_not_enumerated_combinatorially() -> None:
    subs = ",".join(f"sln:older({i})" for i in range(1, 20))
    started = time.perf_counter()
    assert lock(f"thresh(10,pk({A}),{subs})", 100, 100) == TimeLock("height", 109, True)  # A + 1..9
    assert time.perf_counter() - started < 2


def test_andor_and_and_n() -> None:
    script = f"andor(pk({A}),older(10),and_v(v:pk({B}),after(200)))"
    assert {(p.older_blocks, p.after_height) for p in paths(script)} == {(10, 0), (0, 200)}
    assert lock(f"and_n(pk({A}),older(7))", 1, 1) == TimeLock("height", 8, True)


def test_mixed_height_and_time_on_one_path_cannot_be_satisfied() -> None:
    with pytest.raises(LockAnalysisError):
        paths(f"and_v(v:pk({A}),and_v(v:after(100),after({T})))")
    with pytest.raises(LockAnalysisError):
        paths(f"and_v(v:pk({A}),and_v(v:older(10),older({TIME_FLAG | 1})))")
    # another path stays: the mixed one is simply never taken
    assert lock(f"or_d(pk({B}),and_v(v:pk({A}),and_v(v:after(100),after({T}))))", 1, 1) is None


# BIP-341's provably unspendable internal key H (lift_x of sha256 of G's uncompressed encoding):
# descriptors use it to turn off the key path, leaving only the script leaves.
NUMS = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0"


def test_taproot_with_the_unspendable_internal_key_is_locked_by_its_leaves() -> None:
    from chains.bitcoin.wallets import WalletSpec

    xa, xb = A[2:], B[2:]
    locked = WalletSpec(
        "tr-locked", "main", descriptor=f"tr({NUMS},{{and_v(v:pk({xa}),after(800000)),and_v(v:pk({xb}),older(144))}})"
    )
    address = locked.address(0)
    assert locked.time_locked
    # The earliest leaf opens first: older(144) from height 799,000 opens at 799,144.
    assert locked.lock_at(address, 799_000, 799_100, None) == TimeLock("height", 799_144, True)
    assert locked.lock_at(address, 799_000, 799_143, None) is None
    # A leaf without a lock, or a spendable internal key, leaves the output open.
    assert (
        WalletSpec("o", "main", descriptor=f"tr({NUMS},{{pk({xa}),and_v(v:pk({xb}),older(144))}})").lock_at(
            address, 1, 2, None
        )
        is None
    )
    assert (
        WalletSpec("k", "main", descriptor=f"tr({xa},and_v(v:pk({xb}),older(144)))").lock_at(address, 1, 2, None)
        is None
    )
