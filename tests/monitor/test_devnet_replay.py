"""The monitor against the devnet's eth-tester chain over real HTTP: replay, match, reorg dropping a mint."""

from __future__ import annotations

from sqlmodel import select

from chains.evm.config import EvmErc20Config
from reserves.jobs.monitor import monitor_deployment
from reserves.monitor import store
from reserves.monitor.state import blocking_issues
from reserves.storage.supply_models import SupplyEventRow
from tests.evm.conftest import devnet_evm as devnet_evm  # fixture

TXID = "cd" * 32


def _config(chain, url) -> EvmErc20Config:
    return EvmErc20Config(
        name="devnet-token",
        chain_id=f"eip155:{chain.chain_id}",
        rpc_url=url,
        contract=chain.contract,
        confirmations=1,
        timeout_seconds=5,
        retries=0,
    )


async def _checkpoint(db):
    async with db.sessions() as s:
        return await store.get_checkpoint(s, "devnet-token")


async def test_devnet_replay_matches_and_follows_a_reorg(db, devnet_evm):
    chain, url = devnet_evm
    alice, bob = chain.accounts[1], chain.accounts[2]
    chain.mint(alice, 700, TXID, 0)
    chain.transfer(alice, bob, 200)
    chain.burn(alice, 100, "bcrt1qdevnet")
    chain.mine(1)
    report = await monitor_deployment(db, _config(chain, url))
    assert report is not None and report.checked is True
    cp = await _checkpoint(db)
    assert cp.running_supply == 600 == chain.total_supply(cp.checked_block)
    chain.mint(bob, 55, TXID, 1)
    chain.mine(1)
    await monitor_deployment(db, _config(chain, url))
    assert (await _checkpoint(db)).running_supply == 655
    chain.reorg(2)  # the mint-55 block is replaced by empty blocks
    report = await monitor_deployment(db, _config(chain, url))
    assert report.reorgs == 1 and report.checked is True
    cp = await _checkpoint(db)
    assert cp.running_supply == 600 == chain.total_supply(cp.checked_block)
    async with db.sessions() as s:
        mints = list((await s.exec(select(SupplyEventRow).where(SupplyEventRow.kind == "mint"))).all())
    assert [(m.amount, m.deposit_txid, m.deposit_vout) for m in mints] == [(700, TXID, 0)]
    assert await blocking_issues(db) == {}
