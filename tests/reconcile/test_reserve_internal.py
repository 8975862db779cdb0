"""Reserve-internal Bitcoin moves (reserve to reserve: consolidations, change) are neither deposits nor releases."""

from __future__ import annotations

from datetime import datetime, timezone

from reserves.reconcile import rules
from reserves.storage.reconcile_models import ReconcileLinkRow
from tests.reconcile.conftest import DEP, insert, items, run
from tests.reconcile.helpers import burn_pair, mint_pair, transfer
from tests.reconcile.test_burns import fund_reserve, release


def net(value: int) -> int:
    return value - value * 20 // 10_000


def _vout(btc, txid: str, address: str) -> int:
    from chains.devnet.reconcile_cases import _vout_paying

    return _vout_paying(btc.chain, txid, address)


async def test_mint_citing_a_reserve_to_reserve_output_is_not_reconciled(btc, db):
    """A consolidation brings no new BTC: a mint citing it as its deposit is unbacked."""
    fund_reserve(btc)
    internal = btc.reserve(5)
    txid = release(btc, internal, 1_000_000)  # the reserve pays one of its own addresses
    btc.chain.mine(6)
    await insert(db, mint_pair(DEP, 30, 0, net(1_000_000), txid, _vout(btc, txid, internal)))
    await run(db, btc.setup())
    item = (await items(db))[(DEP, 30, 0)]
    assert (item.status, item.reason) == ("unreconciled", rules.DEPOSIT_FROM_RESERVE)


async def test_burn_naming_a_reserve_address_is_not_released_by_an_internal_move(btc, db):
    """Paying the reserve's own address releases nothing: the BTC never leaves the reserve."""
    fund_reserve(btc)
    internal = btc.reserve(6)
    await insert(db, burn_pair(DEP, 31, 0, 1_000_000, internal))
    release(btc, internal, 1_000_000)
    btc.chain.mine(6)
    await run(db, btc.setup())
    item = (await items(db))[(DEP, 31, 0)]
    assert item.status != "released"
    assert item.reason == rules.RESERVE_ADDRESS


async def test_linked_release_paying_the_reserve_is_invalid(btc, db):
    """An operator link to a reserve-internal output (e.g. a release's change) is no release."""
    fund_reserve(btc)
    internal = btc.reserve(7)
    txid = release(btc, internal, 1_000_000)
    btc.chain.mine(6)
    burn = transfer(DEP, 32, 0, 1_000_000, mint=False)
    await insert(db, [burn])
    await insert(
        db,
        [
            ReconcileLinkRow(
                deployment=DEP,
                tx_hash=burn.tx_hash,
                log_index=0,
                btc_txid=txid,
                vout=_vout(btc, txid, internal),
                created_by="t",
                created_at=datetime.now(timezone.utc),
            )
        ],
    )
    await run(db, btc.setup())
    item = (await items(db))[(DEP, 32, 0)]
    assert (item.status, item.reason) == ("unreleased", rules.RELEASE_INVALID)
