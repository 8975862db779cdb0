"""The engine decides, signs, chains and stores; failures make it stale, never healthy."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

import pytest

from reserves.attestation.keys import SigningKey
from reserves.attestation.verify import verify_chain, verify_document
from reserves.engine import take_snapshot
from reserves.runtime import Runtime, Source
from reserves.settings import SourceSettings, default_settings
from reserves.storage import repository as repo
from reserves.storage.db import open_database
from reserves.storage.migrate import upgrade
from tests.doubles import (BackendDown, ScriptedReserveAdapter, ScriptedSupplyAdapter, reserve_reading,
                           supply_reading)


@dataclass
class Cfg:
    max_age_seconds: int
    chain_id: str = "eip155:31337"
    contract: str = "0x" + "11" * 20


def source(adapter, role: str, max_age: int = 600) -> Source:
    kind = "bitcoin-esplora" if role == "reserve" else "evm-erc20"
    return Source(SourceSettings(name=adapter.name, kind=kind, role=role, config=Cfg(max_age)), adapter)


@pytest.fixture
async def rt(db_url, tmp_path):
    upgrade(db_url)
    settings = replace(default_settings(tmp_path), devnet=replace(default_settings(tmp_path).devnet, enabled=False))
    runtime = Runtime(settings, db=open_database(db_url), signer=SigningKey(os.urandom(32)))
    runtime.reserve_sources = [source(ScriptedReserveAdapter("cold", reserve_reading("cold", [60_000, 50_000])), "reserve")]
    runtime.supply_sources = [source(ScriptedSupplyAdapter("eth", supply_reading("eth", 100_000)), "supply")]
    yield runtime
    await runtime.db.dispose()


def trusted(rt) -> dict[str, str]:
    return {rt.signer.pubkey_hex: rt.signer.key_id}


async def test_snapshot_signs_chains_and_stores(rt):
    first = await take_snapshot(rt)
    second = await take_snapshot(rt)
    body = second["attestation"]
    assert body["sequence"] == 1 and body["previous"] == first["id"]
    assert body["status"] == "healthy" and body["ratio_bp"] == "11000"
    assert verify_chain([first, second], trusted(rt)).ok
    async with rt.db.sessions() as s:
        row = await repo.get_attestation(s, second["id"])
        keys = await repo.list_keys(s)
    assert json.loads(row.document) == body and row.ratio_bp == 11000
    assert [k.pubkey for k in keys] == [rt.signer.pubkey_hex]


@pytest.mark.parametrize("supply, status", [(107_900, "warning"), (110_001, "undercollateralized"), (0, "healthy")])
async def test_status_follows_thresholds(rt, supply, status):
    rt.supply_sources[0].adapter.reading = supply_reading("eth", supply)
    env = await take_snapshot(rt)
    assert env["attestation"]["status"] == status


async def test_failed_source_is_stale_with_no_ratio(rt):
    rt.supply_sources.append(source(ScriptedSupplyAdapter("l2", error=BackendDown("connection refused")), "supply"))
    env = await take_snapshot(rt)
    body = env["attestation"]
    assert body["status"] == "stale" and body["ratio_bp"] is None
    failed = [d for d in body["supply"]["deployments"] if "error" in d]
    assert failed[0]["error"]["code"] == "chain_unavailable"
    assert verify_document(env, trusted_keys=trusted(rt)).ok


async def test_unexpected_adapter_bug_and_hang_are_stale_not_a_dead_job(rt, monkeypatch):
    monkeypatch.setattr("reserves.engine.SOURCE_TIMEOUT_SECONDS", 0.2)
    rt.reserve_sources.append(source(ScriptedReserveAdapter("hot", error=ZeroDivisionError()), "reserve"))
    rt.reserve_sources.append(source(ScriptedReserveAdapter("slow", hang=True), "reserve"))
    from reserves.engine import read_sources

    reserves, _ = await read_sources(rt, timeout=0.2)
    codes = {o.source.settings.name: o.error_code for o in reserves}
    assert codes == {"cold": None, "hot": "internal", "slow": "timeout"}


async def test_old_block_is_stale_even_when_fully_backed(rt):
    old = datetime.now(timezone.utc) - timedelta(hours=2)
    rt.supply_sources[0].adapter.reading = supply_reading("eth", 1, when=old)
    body = (await take_snapshot(rt))["attestation"]
    assert body["status"] == "stale" and body["ratio_bp"] is not None


async def test_outpoint_declared_twice_counts_once(rt):
    dup = reserve_reading("warm", [60_000])  # same outpoint (index 0) as the first UTXO of "cold"
    rt.reserve_sources.append(source(ScriptedReserveAdapter("warm", dup), "reserve"))
    body = (await take_snapshot(rt))["attestation"]
    assert body["reserves"]["total_sat"] == "110000" and body["reserves"]["utxo_count"] == 2


async def test_clock_going_backwards_never_goes_back_in_the_chain(rt):
    t = datetime(2030, 1, 1, tzinfo=timezone.utc)
    a = await take_snapshot(rt, now=t)
    b = await take_snapshot(rt, now=t - timedelta(hours=1))
    assert b["attestation"]["issued_at"] >= a["attestation"]["issued_at"]
