"""The engine decides, signs, chains and stores; failures make it stale, never healthy."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

import pytest

from reserves.attestation.keys import SigningKey
from reserves.attestation.verify import verify_chain, verify_document
from reserves.settings.load import default_settings
from reserves.storage import repository as repo
from reserves.storage.db import open_database
from reserves.worker.worker import Worker
from tests.doubles.adapters import (
    BackendDown,
    ScriptedReserveAdapter,
    ScriptedSupplyAdapter,
    reserve_reading,
    supply_reading,
)
from tests.engine_rig import Cfg, Rig, source, take_snapshot
from tests.world import devnet_settings, start_devnet


@pytest.fixture
async def rt(migrated_db_url, tmp_path):
    settings = replace(default_settings(tmp_path), devnet=replace(default_settings(tmp_path).devnet, enabled=False))
    runtime = Rig(open_database(migrated_db_url), settings, SigningKey(os.urandom(32)))
    runtime.reserve_sources = [
        source(ScriptedReserveAdapter("cold", reserve_reading("cold", [60_000, 50_000])), "reserve")
    ]
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


async def test_unexpected_adapter_bug_and_hang_are_stale_not_a_dead_job(rt):
    rt.settings = replace(rt.settings, schedule=replace(rt.settings.schedule, source_timeout_seconds=0.2))
    rt.reserve_sources.append(source(ScriptedReserveAdapter("hot", error=ZeroDivisionError()), "reserve"))
    rt.reserve_sources.append(source(ScriptedReserveAdapter("slow", hang=True), "reserve"))
    body = (await take_snapshot(rt))["attestation"]
    codes = {x["name"]: x.get("error", {}).get("code") for x in body["reserves"]["sources"]}
    assert codes == {"cold": None, "hot": "internal", "slow": "timeout"}
    assert body["status"] == "stale" and body["ratio_bp"] is None


async def test_reserve_sources_at_different_tips_are_read_again_then_failed(rt):
    """A coin moved between wallets in the block between two readings would count twice."""
    from tests.doubles.adapters import reserve_reading

    behind = reserve_reading("warm", [40_000], start=10)
    behind = replace(behind, block=replace(behind.block, height=109, hash="01" * 32))
    warm = ScriptedReserveAdapter("warm", behind)
    rt.reserve_sources.append(source(warm, "reserve"))
    body = (await take_snapshot(rt))["attestation"]
    assert warm.calls == 2  # read again once before giving up
    failed = {x["name"]: x["error"]["code"] for x in body["reserves"]["sources"] if "error" in x}
    assert failed == {"warm": "inconsistent_tip"} and body["status"] == "stale" and body["ratio_bp"] is None
    # once the lagging source catches up, both count
    warm.reading = reserve_reading("warm", [40_000], start=10)
    body = (await take_snapshot(rt))["attestation"]
    assert body["status"] == "healthy" and body["reserves"]["total_sat"] == "150000"


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


async def test_clock_going_backwards_is_refused_and_changes_nothing(rt):
    from reserves.snapshot.take import ClockWentBackwards
    from reserves.storage import repository as repo

    t = datetime(2030, 1, 1, tzinfo=timezone.utc)
    a = await take_snapshot(rt, now=t)
    with pytest.raises(ClockWentBackwards, match="before sequence 0's issued_at 2030-01-01T00:00:00Z"):
        await take_snapshot(rt, now=t - timedelta(hours=1))
    async with rt.db.sessions() as session:
        assert await repo.count_attestations(session) == 1
    same_second = await take_snapshot(rt, now=t)  # the same instant is not backwards
    assert same_second["attestation"]["sequence"] == 1 and a["attestation"]["sequence"] == 0


# ---- format 2: wallets, locks, duplicates, the reserve-set version ----


@dataclass(frozen=True)
class FakeWallet:
    """Test double of chains.bitcoin.wallets.WalletSpec: only what the engine reads."""

    name: str
    addresses: tuple[str, ...] = ("bcrt1qexample",)

    def declaration(self) -> dict:
        return {"name": self.name, "label": None, "network": "regtest", "addresses": list(self.addresses)}


def wallet_utxo(n: int, value: int, wallet: str, lock=None):
    from chains.base import Utxo

    return Utxo(
        txid=f"{n:064x}",
        vout=0,
        value_sat=value,
        address="bcrt1qexample",
        height=100,
        confirmations=11,
        wallet=wallet,
        lock=lock,
    )


async def test_attestation_records_the_reserve_set_version(rt):
    env = await take_snapshot(rt)
    ref = env["attestation"]["reserves"]["reserve_set"]
    assert ref == {"version": rt.reserve_set.version, "hash": rt.reserve_set.hash} and ref["version"] == 1
    async with rt.db.sessions() as s:
        row = await repo.get_attestation(s, env["id"])
    assert row.reserve_set_version == 1


@pytest.mark.parametrize("count_locked, total, ratio", [(True, "110000", "11000"), (False, "60000", "6000")])
async def test_locked_outputs_follow_the_count_locked_policy(rt, count_locked, total, ratio):
    from chains.base import TimeLock

    rt.settings = replace(rt.settings, policy=replace(rt.settings.policy, count_locked=count_locked))
    reading = reserve_reading("cold", [])
    utxos = (wallet_utxo(1, 60_000, "hot"), wallet_utxo(2, 50_000, "vault", TimeLock("height", 500, False)))
    rt.reserve_sources[0].adapter.reading = replace(reading, utxos=utxos, total_sat=110_000)
    rt.reserve_sources[0].settings = replace(
        rt.reserve_sources[0].settings, config=Cfg(600, wallets=(FakeWallet("hot"), FakeWallet("vault")))
    )
    body = (await take_snapshot(rt))["attestation"]
    res = body["reserves"]
    assert (res["spendable_sat"], res["locked_sat"], res["total_sat"], body["ratio_bp"]) == (
        "60000",
        "50000",
        total,
        ratio,
    )
    assert [w["name"] for w in res["sources"][0]["wallets"]] == ["hot", "vault"]
    assert verify_document(body, trusted_keys=trusted(rt)).ok


async def test_duplicate_across_sources_is_reported_where_it_was_dropped(rt):
    rt.reserve_sources.append(source(ScriptedReserveAdapter("warm", reserve_reading("warm", [60_000])), "reserve"))
    body = (await take_snapshot(rt))["attestation"]
    warm = next(s for s in body["reserves"]["sources"] if s["name"] == "warm")
    assert warm["utxos"] == [] and warm["duplicate_count"] == 1
    assert warm["duplicates"][0]["wallets"] == ["cold", "warm"]
    assert verify_document(body, trusted_keys=trusted(rt)).ok


async def test_uncounted_outputs_pass_through_and_are_deduplicated(rt):
    from chains.base import Utxo

    shallow = Utxo(txid="ee" * 32, vout=1, value_sat=9, address="bcrt1qexample", height=108, confirmations=3)
    for name in ("cold", "warm"):
        reading = replace(reserve_reading(name, [1_000], start=7 if name == "warm" else 0), uncounted=(shallow,))
        if name == "cold":
            rt.reserve_sources[0].adapter.reading = replace(
                reading, utxos=reserve_reading("cold", [60_000, 50_000]).utxos, total_sat=110_000
            )
        else:
            rt.reserve_sources.append(source(ScriptedReserveAdapter("warm", reading), "reserve"))
    body = (await take_snapshot(rt))["attestation"]
    by_name = {s["name"]: s for s in body["reserves"]["sources"]}
    assert by_name["cold"]["uncounted"][0]["reason"] == "shallow" and by_name["warm"]["uncounted"] == []
    assert verify_document(body, trusted_keys=trusted(rt)).ok


async def test_restarting_the_devnet_keeps_its_reserve_set_version(tmp_path):
    """The built-in wallets are deterministic: a restart of devnet and worker on one database is no new version."""
    versions = []
    for _ in range(2):
        devnet = start_devnet()
        try:
            worker = await Worker.start(devnet_settings(tmp_path, devnet))
            try:
                rs = worker.context.reserve_set
                versions.append((rs.version, rs.hash, rs.wallet_count))
            finally:
                await worker.close()
        finally:
            devnet.stop()
    assert versions[0] == versions[1] and versions[0][0] == 1 and versions[0][2] >= 1


async def test_a_failed_start_releases_what_it_started(tmp_path, monkeypatch):
    """A failure after the database and the leader election started must leave nothing open."""
    from reserves.errors import ConfigError
    from reserves.snapshot import sources as sources_mod

    devnet = start_devnet()
    opened = []

    def failing_open(settings):  # test double: the step after the manifest was read fails
        raise ConfigError("test double: bad source")

    try:
        monkeypatch.setattr(sources_mod.Sources, "open", classmethod(lambda cls, s: failing_open(s)))
        worker = Worker(devnet_settings(tmp_path, devnet))
        real_close = worker.close

        async def recording_close():
            opened.append((worker.db is not None, worker.leadership is not None))
            await real_close()

        worker.close = recording_close
        with pytest.raises(ConfigError):
            await worker.open()
        assert opened == [(True, True)] and worker.db is None
    finally:
        devnet.stop()


async def test_an_output_one_source_lists_uncounted_and_a_later_one_counts_is_not_listed_uncounted(rt):
    """Two sources with different confirmation rules cover one coin: the earlier source (by name)
    sees it too shallow, the later one counts it. The coin is counted, so no source may still
    list it as uncounted: the verifier refuses an outpoint both counted and uncounted."""
    from chains.base import Utxo

    coin = Utxo(txid="ee" * 32, vout=1, value_sat=9_000, address="bcrt1qexample", height=108, confirmations=3)
    cold = reserve_reading("cold", [60_000, 50_000])
    rt.reserve_sources[0].adapter.reading = replace(cold, uncounted=(coin,))
    warm = replace(reserve_reading("warm", []), min_confirmations=1, utxos=(coin,), total_sat=9_000)
    rt.reserve_sources.append(source(ScriptedReserveAdapter("warm", warm), "reserve"))
    body = (await take_snapshot(rt))["attestation"]
    by_name = {s["name"]: s for s in body["reserves"]["sources"]}
    assert [u["txid"] for u in by_name["warm"]["utxos"]] == ["ee" * 32]
    assert by_name["cold"]["uncounted"] == [] and by_name["cold"]["uncounted_count"] == 0
    report = verify_document(body, trusted_keys=trusted(rt))
    assert report.ok, report.failed()


async def test_a_one_off_worker_announces_nothing_and_a_worker_says_goodbye(tmp_path):
    """`reserves snapshot` must never show as a running worker on the web role's /healthz."""
    from reserves.read.workers import live_workers

    devnet = start_devnet()
    try:
        settings = devnet_settings(tmp_path, devnet)
        one_off = await Worker.start(settings, announce=False)
        try:
            async with one_off.db.sessions() as s:
                assert await live_workers(s) == []
        finally:
            await one_off.close()
        worker = await Worker.start(settings)
        db = open_database(settings.database.url)
        try:
            async with db.sessions() as s:
                assert [r.replica for r in await live_workers(s)] == [worker.leadership.identity]
            await worker.close()
            async with db.sessions() as s:
                assert await live_workers(s) == []  # a clean stop removes its row
        finally:
            await db.dispose()
    finally:
        devnet.stop()
