"""The engine's supply side: roles reach the attestation, and the event monitor's blocking issues fail a deployment."""

from __future__ import annotations

from dataclasses import replace

from chains.base import HeldAddress, HeldBalance
from reserves.attestation.verify import verify_document
from reserves.monitor import state as monitor_state
from reserves.settings.model import SourceSettings
from reserves.snapshot.sources import Source
from tests.doubles.adapters import ScriptedSupplyAdapter, supply_reading
from tests.engine_rig import Cfg, take_snapshot
from tests.test_engine import rt as rt  # rt is a fixture: importing it makes it this module's
from tests.test_engine import trusted as trusted

BOX = HeldAddress("0x" + "b0" * 20, "lockbox", "gateway of l2", bridge="l2")


def bridge_pair(rt, *, locked: int, minted: int) -> None:
    eth = replace(supply_reading("eth", 100_000), held=(HeldBalance(BOX, locked),))
    l2 = supply_reading("l2", minted, chain="eip155:42161")
    rt.supply_sources = [
        Source(SourceSettings("eth", "evm-erc20", "supply", Cfg(600)), ScriptedSupplyAdapter("eth", eth)),
        Source(
            SourceSettings("l2", "evm-erc20", "supply", Cfg(600, chain_id="eip155:42161"), "bridge", "eth"),
            ScriptedSupplyAdapter("l2", l2),
        ),
    ]


async def test_a_bridge_pair_counts_the_larger_of_locked_and_minted(rt):
    bridge_pair(rt, locked=30_000, minted=20_000)
    env = await take_snapshot(rt)
    body = env["attestation"]
    eth, l2 = body["supply"]["deployments"]
    assert (eth["role"], eth["circulating"], eth["supply_sat"]) == ("native", "70000", "70000")
    assert eth["held"] == [
        {"address": BOX.address, "category": "lockbox", "reason": "gateway of l2", "bridge": "l2", "balance": "30000"}
    ]
    assert (l2["role"], l2["bridge_source"], l2["circulating"], l2["supply_sat"]) == ("bridge", "eth", "20000", "30000")
    assert body["supply"]["total_sat"] == "100000" and body["status"] == "healthy"
    assert verify_document(env, trusted_keys=trusted(rt)).ok


async def test_a_blocking_monitor_issue_fails_that_deployment(rt, monkeypatch):
    async def blocking(db):
        assert db is rt.db
        return {"eth": ("supply_discrepancy", "replayed events give 99000 at block 50, totalSupply() 100000")}

    monkeypatch.setattr(monitor_state, "blocking_issues", blocking)
    env = await take_snapshot(rt)
    body = env["attestation"]
    [eth] = body["supply"]["deployments"]
    assert eth["error"] == {
        "code": "supply_discrepancy",
        "detail": "replayed events give 99000 at block 50, totalSupply() 100000",
    }
    assert body["status"] == "stale" and body["ratio_bp"] is None and body["supply"]["total_sat"] == "0"
    assert "supply deployment eth: failed (supply_discrepancy)" in body["status_reasons"]
    assert verify_document(env, trusted_keys=trusted(rt)).ok


async def test_an_issue_for_an_unknown_deployment_changes_nothing(rt, monkeypatch):
    async def blocking(db):
        return {"gone": ("reorg_unresolved", "x")}

    monkeypatch.setattr(monitor_state, "blocking_issues", blocking)
    assert (await take_snapshot(rt))["attestation"]["status"] == "healthy"


async def test_an_unreadable_monitor_state_is_stale_not_a_dead_job(rt, monkeypatch):
    async def broken(db):
        raise RuntimeError("table missing")

    monkeypatch.setattr(monitor_state, "blocking_issues", broken)
    body = (await take_snapshot(rt))["attestation"]
    assert body["status"] == "stale" and body["supply"]["deployments"][0]["error"]["code"] == "monitor_unavailable"


async def test_a_hostile_issue_code_and_detail_are_bounded(rt, monkeypatch):
    async def hostile(db):
        return {"eth": ("NOT A CODE\n" * 10, "d" * 100_000)}

    monkeypatch.setattr(monitor_state, "blocking_issues", hostile)
    env = await take_snapshot(rt)
    [eth] = env["attestation"]["supply"]["deployments"]
    assert eth["error"]["code"] == "error" and len(eth["error"]["detail"]) == 500
    assert env["attestation"]["status"] == "stale" and verify_document(env, trusted_keys=trusted(rt)).ok


async def test_a_solana_deployment_names_its_mint_as_the_contract(rt):
    """An SPL token's address is its mint (SolanaSplConfig.contract); a failed read must still say which token it
    was."""
    from chains.solana.config import SolanaSplConfig
    from tests.doubles.adapters import BackendDown

    mint = "So11111111111111111111111111111111111111112"
    cfg = SolanaSplConfig(
        name="sol",
        chain_id="solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp",
        rpc_url="https://rpc.invalid",
        mint=mint,
        expected_decimals=8,
        max_age_seconds=600,
    )
    rt.supply_sources.append(
        Source(
            SourceSettings("sol", "solana-spl", "supply", cfg),
            ScriptedSupplyAdapter("sol", error=BackendDown("down"), kind="solana-spl"),
        )
    )
    env = await take_snapshot(rt)
    sol = next(d for d in env["attestation"]["supply"]["deployments"] if d["name"] == "sol")
    assert sol["contract"] == mint and sol["error"]["code"] == "chain_unavailable"
