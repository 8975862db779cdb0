"""The monitor against a real anvil: replay, totalSupply match, reorgs removing and adding a mint, resume, supply
jumps."""

from __future__ import annotations

import pytest
from sqlmodel import select

from reserves.jobs.monitor import monitor_deployment
from reserves.monitor import store
from reserves.monitor.state import blocking_issues
from reserves.storage.monitor_models import MonitorIssueRow
from reserves.storage.supply_models import ZERO_ADDRESS, SupplyEventRow

pytestmark = pytest.mark.anvil


async def _events(db, name="anvil-token") -> list[SupplyEventRow]:
    async with db.sessions() as s:
        rows = (
            await s.exec(
                select(SupplyEventRow)
                .where(SupplyEventRow.deployment == name)
                .order_by(SupplyEventRow.block_number, SupplyEventRow.log_index)
            )
        ).all()
    return list(rows)


async def _checkpoint(db, name="anvil-token"):
    async with db.sessions() as s:
        return await store.get_checkpoint(s, name)


async def _issues(db) -> list[MonitorIssueRow]:
    async with db.sessions() as s:
        return list((await s.exec(select(MonitorIssueRow).order_by(MonitorIssueRow.id))).all())


async def test_replays_mints_transfers_burns_and_matches_total_supply(db, anvil_token):
    t = anvil_token
    t.mint(1000)
    t.transfer(300)
    t.burn(200, "bcrt1qpayout")
    t.mint(5, to=t.bob)
    t.mine(1)
    report = await monitor_deployment(db, t.config())
    assert report is not None and report.checked is True
    cp = await _checkpoint(db)
    assert cp.running_supply == 805 == t.supply(cp.checked_block) and cp.checked_match is True
    rows = await _events(db)
    kinds = [r.kind for r in rows]
    assert kinds == ["transfer", "mint", "transfer", "transfer", "burn", "transfer", "mint"]
    mint = rows[1]
    assert mint.deposit_txid == "ab" * 32 and mint.deposit_vout == 1 and mint.amount == 1000
    assert mint.to_address == t.alice.lower() and rows[0].from_address == ZERO_ADDRESS
    burn = rows[4]
    assert burn.btc_address == "bcrt1qpayout" and burn.from_address == t.alice.lower() and burn.amount == 200
    assert cp.events_count == 7
    assert await blocking_issues(db) == {}


async def test_reorg_that_removes_a_mint_rolls_it_back(db, anvil_token):
    t = anvil_token
    t.mint(1000)
    t.mint(50)  # this block is reorged away below
    t.mine(1)
    await monitor_deployment(db, t.config())
    assert (await _checkpoint(db)).running_supply == 1050
    t.reorg(2)  # the mint-50 block and the empty one replaced by empty blocks
    t.mine(1)
    report = await monitor_deployment(db, t.config())
    assert report.reorgs == 1 and report.checked is True
    cp = await _checkpoint(db)
    assert cp.running_supply == 1000 == t.supply(cp.checked_block)
    assert [r.amount for r in await _events(db) if r.kind == "mint"] == [1000]
    reorg = [i for i in await _issues(db) if i.kind == "reorg"]
    assert len(reorg) == 1 and reorg[0].resolved_at is not None and reorg[0].events_dropped == 2
    assert await blocking_issues(db) == {}


async def test_reorg_that_adds_a_mint_replays_it(db, anvil_token):
    t = anvil_token
    t.mint(1000)
    t.mine(2)
    await monitor_deployment(db, t.config())
    before = await _checkpoint(db)
    assert before.running_supply == 1000
    t.reorg(2, [(t.mint_call(t.bob, 77), 0)])
    t.mine(1)
    report = await monitor_deployment(db, t.config())
    assert report.reorgs == 1 and report.checked is True
    cp = await _checkpoint(db)
    assert cp.running_supply == 1077 == t.supply(cp.checked_block)
    mints = [r for r in await _events(db) if r.kind == "mint"]
    assert [m.amount for m in mints] == [1000, 77] and mints[1].to_address == t.bob.lower()


async def test_restart_resumes_without_gaps_or_duplicates(db, anvil_token):
    t = anvil_token
    for i in range(6):
        t.mint(10 + i)
    t.mine(1)
    # small bounded runs: a new monitor object each time, as after a restart
    config = t.config(logs_max_range=1)
    await monitor_deployment(db, config, max_ranges=2)
    partial = await _checkpoint(db)
    assert partial.next_block <= partial.last_target
    for _ in range(20):
        report = await monitor_deployment(db, config, max_ranges=2)
        if report.checked is not None:
            break
    cp = await _checkpoint(db)
    rows = await _events(db)
    assert cp.checked_match is True and cp.running_supply == sum(10 + i for i in range(6))
    keys = [(r.block_number, r.log_index) for r in rows]
    assert len(keys) == len(set(keys)) == 12 == cp.events_count


async def test_supply_jump_without_events_opens_a_blocking_issue(db, anvil_token):
    t = anvil_token
    t.mint(1000)
    t.mine(1)
    assert (await monitor_deployment(db, t.config())).checked is True
    t.set_total_supply(5000)  # no Transfer log: a supply that jumps
    t.mine(2)
    report = await monitor_deployment(db, t.config())
    assert report.checked is False
    issues = [i for i in await _issues(db) if i.kind == "supply_mismatch"]
    assert len(issues) == 1 and issues[0].resolved_at is None
    assert issues[0].expected == "1000" and issues[0].actual == "5000"
    assert issues[0].chain_id == "eip155:31339" and issues[0].block_number == report.target
    blocking = await blocking_issues(db)
    code, detail = blocking["anvil-token"]
    assert code == "monitor_supply_mismatch" and f"block {report.target}" in detail and "5000" in detail
    # a second run with the mismatch still there keeps one open issue, not two
    t.mine(1)
    await monitor_deployment(db, t.config())
    assert len([i for i in await _issues(db) if i.kind == "supply_mismatch"]) == 1
    # once the chain agrees again (supply restored), the issue resolves
    t.set_total_supply(1000)
    t.mine(1)
    assert (await monitor_deployment(db, t.config())).checked is True
    assert await blocking_issues(db) == {}
