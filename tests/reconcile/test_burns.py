"""Burns matched to release payments over a real Esplora (devnet regtest over HTTP), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

from chains.devnet.bitcoin import regtest_script
from reserves.reconcile import rules
from reserves.storage.reconcile_models import ReconcileLinkRow
from tests.reconcile.conftest import DEP, DEP2, insert, items, run
from tests.reconcile.helpers import burn_pair, transfer


def fund_reserve(btc, value: int = 5_000_000) -> None:
    btc.pay(btc.reserve(0), value)
    btc.chain.mine(1)


def release(btc, address: str, value: int) -> str:
    """Pay `value` sat to `address` out of the reserve's hot wallet (what a custodian's release is)."""
    reserve = btc.chain.wallets.reserve_wpkh
    coin = max(btc.chain.spendable(reserve), key=lambda c: c.value)
    return btc.chain.submit(reserve.build_payment([coin], regtest_script(address), value, fee_rate=2))


async def test_burn_released_once_the_payment_is_deep(btc, db):
    fund_reserve(btc)
    to = btc.chain.wallets.funding.address(7)
    await insert(db, burn_pair(DEP, 5, 0, 1_000_000, to))
    await run(db, btc.setup())
    item = (await items(db))[(DEP, 5, 0)]
    assert (item.status, item.age_blocks, item.btc_address, item.kind) == ("awaiting_release", 0, to, "burn")
    txid = release(btc, to, 1_000_000)
    btc.chain.mine(2)
    await run(db, btc.setup())
    item = (await items(db))[(DEP, 5, 0)]
    assert (item.status, item.btc_txid, item.confirmations) == ("awaiting_release", txid, 2)
    btc.chain.mine(4)
    await run(db, btc.setup())
    item = (await items(db))[(DEP, 5, 0)]
    assert (item.status, item.btc_txid, item.value_sat) == ("released", txid, 1_000_000)


async def test_payment_not_from_the_reserve_does_not_release(btc, db):
    to = btc.chain.wallets.funding.address(20)
    btc.pay(to, 1_000_000)  # the funding wallet pays: no reserve input
    btc.chain.mine(6)
    await insert(db, burn_pair(DEP, 6, 0, 1_000_000, to))
    await run(db, btc.setup())
    assert (await items(db))[(DEP, 6, 0)].status == "awaiting_release"


async def test_one_release_pays_one_burn_oldest_first_and_the_deadline_passes(btc, db):
    fund_reserve(btc)
    to = btc.chain.wallets.funding.address(21)
    await insert(db, burn_pair(DEP2, 2, 0, 400_000 * 10**10, to))  # 18 decimals: 400000 sat owed
    await run(db, btc.setup())
    await insert(db, burn_pair(DEP, 7, 0, 400_000, to))  # seen one pass later: younger
    release(btc, to, 400_000)
    btc.chain.mine(6)
    await run(db, btc.setup())
    got = await items(db)
    assert got[(DEP2, 2, 0)].status == "released"
    assert (got[(DEP, 7, 0)].status, got[(DEP, 7, 0)].age_blocks) == ("awaiting_release", 0)
    btc.chain.mine(13)
    await run(db, btc.setup())
    late = (await items(db))[(DEP, 7, 0)]
    assert (late.status, late.reason, late.age_blocks) == ("unreleased", rules.RELEASE_DEADLINE_PASSED, 13)


async def test_release_fee_allowance_and_the_smallest_fitting_output(btc, db):
    fund_reserve(btc)
    to = btc.chain.wallets.funding.address(22)
    big = release(btc, to, 900_000)
    btc.chain.mine(1)
    small = release(btc, to, 299_000)  # 1000 sat of network fee taken off
    btc.chain.mine(6)
    await insert(db, burn_pair(DEP, 8, 0, 300_000, to) + burn_pair(DEP, 9, 0, 800_000, to))
    await run(db, btc.setup(fees=rules.Fees(20, 0, release_fee_max_sat=1000)))
    got = await items(db)
    assert (got[(DEP, 8, 0)].status, got[(DEP, 8, 0)].btc_txid) == ("released", small)
    assert (got[(DEP, 9, 0)].status, got[(DEP, 9, 0)].btc_txid) == ("released", big)


async def test_burns_without_a_usable_address(btc, db):
    rows = burn_pair(DEP, 10, 0, 5, "<script>alert(1)</script>") + burn_pair(DEP, 11, 0, 5, "bc1qnotregtest")
    await insert(db, rows + [transfer(DEP, 12, 0, 5, mint=False)])
    await run(db, btc.setup())
    got = {k[1]: (i.status, i.reason) for k, i in (await items(db)).items()}
    assert got == {
        10: ("unreleased", rules.INVALID_ADDRESS),
        11: ("unreleased", rules.INVALID_ADDRESS),
        12: ("unreleased", rules.NO_RELEASE_ADDRESS),
    }


async def test_operator_link_names_a_burns_release(btc, db):
    fund_reserve(btc)
    to = btc.chain.wallets.funding.address(23)
    txid = release(btc, to, 700_000)
    foreign, _ = btc.pay(to, 700_000)
    btc.chain.mine(6)
    good, bad, short = (transfer(DEP, n, 0, 700_000, mint=False) for n in (13, 14, 15))
    await insert(db, [good, bad, short])
    now = datetime.now(timezone.utc)
    await insert(
        db,
        [
            ReconcileLinkRow(
                deployment=DEP, tx_hash=good.tx_hash, log_index=0, btc_txid=txid, vout=0, created_by="t", created_at=now
            ),
            ReconcileLinkRow(
                deployment=DEP,
                tx_hash=bad.tx_hash,
                log_index=0,
                btc_txid=foreign,
                vout=0,
                created_by="t",
                created_at=now,
            ),
            ReconcileLinkRow(
                deployment=DEP,
                tx_hash=short.tx_hash,
                log_index=0,
                btc_txid=txid,
                vout=0,
                created_by="t",
                created_at=now,
            ),
        ],
    )
    await run(db, btc.setup())
    got = await items(db)
    assert (got[(DEP, 13, 0)].status, got[(DEP, 13, 0)].btc_txid) == ("released", txid)
    assert (got[(DEP, 14, 0)].status, got[(DEP, 14, 0)].reason) == ("unreleased", rules.RELEASE_INVALID)
    assert "spends no reserve output" in got[(DEP, 14, 0)].detail or "vout" in got[(DEP, 14, 0)].detail
    assert (got[(DEP, 15, 0)].status, got[(DEP, 15, 0)].detail) == (
        "unreleased",
        "linked output already releases another burn",
    )
