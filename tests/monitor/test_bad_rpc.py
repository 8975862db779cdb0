"""Hostile or failing RPCs, through the JSON-RPC proxy test double in front of a real anvil.

Each misbehaviour is detected, stored nothing, and (for wrong data) opened a blocking issue naming
the chain and block; a healthy node afterwards replays everything exactly once and clears it.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from reserves.jobs.monitor import monitor_deployment
from reserves.monitor import store
from reserves.monitor.state import blocking_issues
from reserves.storage.monitor_models import MonitorIssueRow
from reserves.storage.supply_models import SupplyEventRow

pytestmark = pytest.mark.anvil


async def _state(db):
    async with db.sessions() as s:
        cp = await store.get_checkpoint(s, "anvil-token")
        rows = list((await s.exec(select(SupplyEventRow))).all())
        issues = list((await s.exec(select(MonitorIssueRow).order_by(MonitorIssueRow.id))).all())
    return cp, rows, issues


def _busy(t) -> None:
    t.mint(1000)
    t.transfer(10)
    t.burn(100)
    t.mine(1)


async def _healthy_run_clears(db, t, url) -> None:
    report = await monitor_deployment(db, t.config(rpc_url=url))
    assert report is not None and report.checked is True
    cp, rows, _ = await _state(db)
    assert cp.running_supply == 900 and len(rows) == cp.events_count == 5
    assert len({(r.block_number, r.log_index) for r in rows}) == 5
    assert await blocking_issues(db) == {}


async def _assert_blocked(db, kind: str, code: str) -> MonitorIssueRow:
    cp, rows, issues = await _state(db)
    assert rows == [] and (cp is None or cp.events_count == 0)
    open_ = [i for i in issues if i.resolved_at is None]
    assert [i.kind for i in open_] == [kind]
    assert open_[0].chain_id == "eip155:31339"
    blocking = await blocking_issues(db)
    assert blocking["anvil-token"][0] == code and "block" in blocking["anvil-token"][1]
    return open_[0]


async def test_logs_out_of_order_are_refused(db, proxied):
    t, proxy, url = proxied
    _busy(t)
    t.mine(1)

    def reverse(method, params, reply):
        if method == "eth_getLogs" and len(reply.get("result", [])) > 1:
            reply["result"] = reply["result"][::-1]
        return reply

    proxy.rewrite = reverse
    assert await monitor_deployment(db, t.config(rpc_url=url, logs_max_range=1000)) is None
    issue = await _assert_blocked(db, "bad_logs", "monitor_bad_logs")
    assert "out of order" in issue.detail and "eip155:31339" in issue.detail
    proxy.rewrite = None
    await _healthy_run_clears(db, t, url)


async def test_duplicated_or_removed_logs_are_refused(db, proxied):
    t, proxy, url = proxied
    _busy(t)

    def duplicate(method, params, reply):
        if method == "eth_getLogs" and reply.get("result"):
            reply["result"] = reply["result"] + reply["result"][-1:]
        return reply

    proxy.rewrite = duplicate
    await monitor_deployment(db, t.config(rpc_url=url, logs_max_range=1000))
    await _assert_blocked(db, "bad_logs", "monitor_bad_logs")

    def removed(method, params, reply):
        if method == "eth_getLogs" and reply.get("result"):
            reply["result"][0]["removed"] = True
        return reply

    proxy.rewrite = removed
    await monitor_deployment(db, t.config(rpc_url=url, logs_max_range=1000))
    issue = await _assert_blocked(db, "bad_logs", "monitor_bad_logs")
    assert "removed" in issue.detail
    proxy.rewrite = None
    await _healthy_run_clears(db, t, url)


async def test_lying_block_hash_is_detected(db, proxied):
    t, proxy, url = proxied
    mint_block = t.mint(1000)
    t.transfer(10)
    t.burn(100)
    t.mine(1)

    def lie(method, params, reply):
        if method == "eth_getBlockByNumber" and params[0] == hex(mint_block) and reply.get("result"):
            reply["result"]["hash"] = "0x" + "66" * 32
        return reply

    proxy.rewrite = lie
    await monitor_deployment(db, t.config(rpc_url=url, logs_max_range=1000))
    issue = await _assert_blocked(db, "lying_hash", "monitor_lying_hash")
    assert issue.block_number == mint_block and issue.expected == "0x" + "66" * 32
    proxy.rewrite = None
    await _healthy_run_clears(db, t, url)


async def test_node_errors_and_timeouts_store_nothing_and_retry(db, proxied):
    t, proxy, url = proxied
    _busy(t)
    proxy.intercept = lambda m, p: (
        {"error": {"code": -32000, "message": "internal failure"}} if m == "eth_getLogs" else None
    )
    assert await monitor_deployment(db, t.config(rpc_url=url)) is None
    proxy.intercept = None
    proxy.http_status = 503
    assert await monitor_deployment(db, t.config(rpc_url=url)) is None
    proxy.http_status = None
    proxy.delay = 1.5
    assert await monitor_deployment(db, t.config(rpc_url=url, timeout_seconds=0.3)) is None
    proxy.delay = 0.0
    cp, rows, issues = await _state(db)
    # transport trouble: nothing stored, nothing claimed about the data; the next run does the work
    assert rows == [] and issues == []
    await _healthy_run_clears(db, t, url)


async def test_too_many_results_shrinks_the_range_and_replays_everything_once(db, proxied):
    t, proxy, url = proxied
    for i in range(8):
        t.mint(100 + i)
    t.mine(1)
    refused = []

    def limit(method, params):
        if method == "eth_getLogs":
            q = params[0]
            if int(q["toBlock"], 16) - int(q["fromBlock"], 16) + 1 > 2:
                refused.append(q)
                return {"error": {"code": -32005, "message": "query returned more than 10000 results"}}
        return None

    proxy.intercept = limit
    report = await monitor_deployment(db, t.config(rpc_url=url, logs_max_range=64))
    assert report is not None and report.checked is True
    assert refused and report.shrinks >= 1 and max(report.range_sizes) <= 2
    cp, rows, _ = await _state(db)
    assert cp.running_supply == sum(100 + i for i in range(8)) and cp.range_size <= 64
    keys = [(r.block_number, r.log_index) for r in rows]
    assert len(keys) == len(set(keys)) == 16


async def test_a_single_block_too_large_for_the_node_is_an_rpc_issue(db, proxied):
    t, proxy, url = proxied
    _busy(t)
    proxy.intercept = lambda m, p: (
        {"error": {"code": -32005, "message": "limit exceeded"}} if m == "eth_getLogs" else None
    )
    await monitor_deployment(db, t.config(rpc_url=url))
    await _assert_blocked(db, "rpc_error", "monitor_rpc_error")


async def test_node_of_another_chain_is_refused(db, proxied):
    t, proxy, url = proxied
    _busy(t)
    proxy.rewrite = lambda m, p, r: {**r, "result": "0x1"} if m == "eth_chainId" else r
    await monitor_deployment(db, t.config(rpc_url=url))
    _, rows, issues = await _state(db)
    assert rows == [] and [i.kind for i in issues] == ["bad_logs"] and "eip155:1," in issues[0].detail
