"""Mints checked against their Bitcoin deposits over a real Esplora (devnet regtest over HTTP), on SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib

from reserves.reconcile import rules
from reserves.storage.reconcile_models import ReconcileLinkRow
from tests.reconcile.conftest import DEP, DEP2, insert, items, run
from tests.reconcile.helpers import mint_pair, transfer


def net(value: int) -> int:
    return value - value * 20 // 10_000


async def test_well_formed_mint_is_pending_while_shallow_then_reconciled(btc, db):
    txid, vout = btc.pay(btc.reserve(3), 1_000_000)
    btc.chain.mine(5)
    await insert(db, mint_pair(DEP, 10, 0, net(1_000_000), txid, vout))
    counts = await run(db, btc.setup())
    item = (await items(db))[(DEP, 10, 0)]
    assert counts == {"pending": 1}
    assert (item.status, item.reason, item.confirmations, item.value_sat) == ("pending", rules.SHALLOW, 5, 1_000_000)
    assert (item.btc_txid, item.btc_vout, item.btc_address) == (txid, vout, btc.reserve(3))
    btc.chain.mine(1)
    assert await run(db, btc.setup()) == {"reconciled": 1}
    item = (await items(db))[(DEP, 10, 0)]
    assert (item.status, item.reason, item.confirmations, item.kind) == ("reconciled", None, 6, "mint")


async def test_each_mint_reason_code(btc, db):
    good_txid, good_vout = btc.pay(btc.reserve(4, "tr"), 2_000_000)
    foreign_txid, foreign_vout = btc.pay(btc.chain.wallets.funding.address(9), 500_000)
    btc.chain.mine(6)
    missing = hashlib.sha256(b"nothing").hexdigest()
    rows = [
        *mint_pair(DEP, 20, 0, 1000, missing, 0),  # deposit_not_found
        *mint_pair(DEP, 21, 0, 1000, good_txid, 9),  # output_not_found
        *mint_pair(DEP, 22, 0, net(500_000), foreign_txid, foreign_vout),  # not_reserve_address
        *mint_pair(DEP, 23, 0, 2_000_000, good_txid, good_vout),  # amount_mismatch (no fee taken)
        *mint_pair(DEP, 24, 0, net(2_000_000), good_txid, good_vout),  # deposit_reused
        transfer(DEP, 25, 0, 777),  # no_deposit_link
    ]
    await insert(db, rows)
    await run(db, btc.setup())
    got = {k[1]: (i.status, i.reason) for k, i in (await items(db)).items()}
    assert got == {
        20: ("unreconciled", "deposit_not_found"),
        21: ("unreconciled", "output_not_found"),
        22: ("unreconciled", "not_reserve_address"),
        23: ("unreconciled", "amount_mismatch"),
        24: ("unreconciled", "deposit_reused"),
        25: ("unreconciled", "no_deposit_link"),
    }
    mismatch = (await items(db))[(DEP, 23, 0)]
    assert (mismatch.expected, mismatch.actual) == (net(2_000_000), 2_000_000)
    assert "not a declared reserve address" in (await items(db))[(DEP, 22, 0)].detail


async def test_the_later_mint_of_a_reused_deposit_is_flagged_across_deployments(btc, db):
    txid, vout = btc.pay(btc.reserve(5), 1_000_000)
    btc.chain.mine(6)
    await insert(db, mint_pair(DEP2, 3, 0, net(1_000_000) * 10**10, txid, vout))  # 18 decimals: scaled up exactly
    await run(db, btc.setup())
    await insert(db, mint_pair(DEP, 90, 4, net(1_000_000), txid, vout))
    await run(db, btc.setup())
    got = await items(db)
    assert got[(DEP2, 3, 0)].status == "reconciled"
    assert (got[(DEP, 90, 4)].status, got[(DEP, 90, 4)].reason) == ("unreconciled", "deposit_reused")
    assert DEP2 in got[(DEP, 90, 4)].detail


async def test_decimals_below_eight_need_exact_division(btc, db):
    ok_txid, ok_vout = btc.pay(btc.reserve(6), 1_000_000)  # net 998000 sat = 9980 units at 6 decimals
    odd_txid, odd_vout = btc.pay(btc.reserve(7), 1_000_050)  # net 998050 sat: not whole units
    btc.chain.mine(6)
    await insert(db, [*mint_pair(DEP, 1, 0, 9980, ok_txid, ok_vout), *mint_pair(DEP, 2, 0, 9980, odd_txid, odd_vout)])
    setup = btc.setup(deployments={DEP: btc.setup().deployments[DEP].__class__("eip155:1", 6)})
    await run(db, setup)
    got = await items(db)
    assert got[(DEP, 1, 0)].status == "reconciled"
    assert (got[(DEP, 2, 0)].status, got[(DEP, 2, 0)].reason) == ("unreconciled", rules.FEE_NOT_REPRESENTABLE)


async def test_operator_link_backs_a_mint_without_mint_data(btc, db):
    txid, vout = btc.pay(btc.reserve(8), 3_000_000)
    btc.chain.mine(6)
    row = transfer(DEP, 40, 2, net(3_000_000))
    await insert(db, [row])
    await run(db, btc.setup())
    assert (await items(db))[(DEP, 40, 2)].reason == "no_deposit_link"
    from datetime import datetime, timezone

    await insert(
        db,
        [
            ReconcileLinkRow(
                deployment=DEP,
                tx_hash=row.tx_hash,
                log_index=2,
                btc_txid=txid,
                vout=vout,
                note="",
                created_by="test",
                created_at=datetime.now(timezone.utc),
            )
        ],
    )
    await run(db, btc.setup())
    item = (await items(db))[(DEP, 40, 2)]
    assert (item.status, item.btc_txid, item.link_id is not None) == ("reconciled", txid, True)


async def test_reorged_away_event_removes_its_item_and_a_changed_block_is_rechecked(btc, db):
    txid, vout = btc.pay(btc.reserve(9), 1_000_000)
    btc.chain.mine(6)
    await insert(db, mint_pair(DEP, 50, 0, net(1_000_000), txid, vout) + mint_pair(DEP, 51, 0, 5, txid, 9))
    await run(db, btc.setup())
    assert set(await items(db)) == {(DEP, 50, 0), (DEP, 51, 0)}
    from sqlalchemy import delete

    from reserves.storage.supply_models import SupplyEventRow

    async with db.sessions() as session:  # what the monitor does when a reorg drops block 51
        await session.exec(delete(SupplyEventRow).where(SupplyEventRow.block_number == 51))
        await session.commit()
    assert await run(db, btc.setup()) == {"reconciled": 1}
    assert set(await items(db)) == {(DEP, 50, 0)}


async def test_a_pass_is_idempotent(btc, db):
    txid, vout = btc.pay(btc.reserve(10), 1_000_000)
    btc.chain.mine(6)
    await insert(db, mint_pair(DEP, 60, 0, net(1_000_000), txid, vout) + [transfer(DEP, 61, 0, 9)])
    await run(db, btc.setup())
    first = {k: (i.status, i.reason, i.detail, i.btc_txid, i.value_sat, i.basis) for k, i in (await items(db)).items()}
    await run(db, btc.setup())
    second = {k: (i.status, i.reason, i.detail, i.btc_txid, i.value_sat, i.basis) for k, i in (await items(db)).items()}
    assert first == second and len(first) == 2


async def test_without_esplora_or_with_esplora_down_mints_stay_pending(btc, db):
    txid, vout = btc.pay(btc.reserve(11), 1_000_000)
    btc.chain.mine(6)
    await insert(db, mint_pair(DEP, 70, 0, net(1_000_000), txid, vout))
    await run(db, btc.setup(esplora_url=None))
    item = (await items(db))[(DEP, 70, 0)]
    assert (item.status, item.reason) == ("pending", rules.NO_ESPLORA_SOURCE)
    from tests.support import free_port

    await run(db, btc.setup(esplora_url=f"http://127.0.0.1:{free_port()}"))
    item = (await items(db))[(DEP, 70, 0)]
    assert (item.status, item.reason) == ("pending", rules.BITCOIN_UNAVAILABLE)
    await run(db, btc.setup())
    assert (await items(db))[(DEP, 70, 0)].status == "reconciled"


async def test_work_per_pass_is_bounded(btc, db):
    txid, vout = btc.pay(btc.reserve(12), 1_000_000)
    btc.chain.mine(6)
    missing = [hashlib.sha256(bytes([i])).hexdigest() for i in range(5)]
    await insert(db, [r for i, t in enumerate(missing) for r in mint_pair(DEP, 80 + i, 0, 1, t, 0)])
    counts = await run(db, btc.setup(), max_checks=2)
    assert counts == {"unreconciled": 2, "pending": 3}
    counts = await run(db, btc.setup(), max_checks=2)  # the unchecked ones come first next time
    assert counts == {"unreconciled": 4, "pending": 1}


async def test_bridge_deployments_are_not_reconciled(btc, db):
    await insert(db, [transfer("bridge-rep", 1, 0, 5)])
    assert await run(db, btc.setup()) == {}
