"""The job: its configuration from the settings (native deployments, fees, depth), it never raises, only a
leading worker runs it, a stopping worker ends a pass quietly, and the migration builds exactly the tables the
models declare."""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import replace
from functools import partial
from pathlib import Path

from chains.bitcoin.esplora.config import BitcoinEsploraConfig
from chains.bitcoin.wallets import WalletSpec
from chains.evm.config import EvmErc20Config
from reserves.jobs.reconcile import build_setup, reconcile_job
from reserves.jobs.schedule import leader_only
from reserves.reconcile import rules
from reserves.settings.load import default_settings
from reserves.settings.model import ReconcileSettings, Settings, SourceSettings
from reserves.storage import reconcile_models  # noqa: F401  (registers the tables)
from reserves.storage.db import open_database
from reserves.storage.migrate import upgrade
from tests.reconcile.conftest import DEP, items
from tests.reconcile.helpers import mint_pair
from tests.stack import parts, scheduled

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


def _settings(tmp_path: Path, devnet: bool = False, **reconciliation) -> Settings:
    base = default_settings(tmp_path)
    settings = replace(
        base, reconciliation=ReconcileSettings(**reconciliation), devnet=replace(base.devnet, enabled=devnet)
    )
    esplora = BitcoinEsploraConfig(
        name="custody",
        esplora_url="http://127.0.0.1:1",
        network="regtest",
        wallets=(WalletSpec(name="cold", network="regtest", addresses=(ADDRESS,)),),
        min_confirmations=3,
    )
    evm = dict(rpc_url="http://127.0.0.1:2", contract="0x" + "11" * 20)
    return replace(
        settings,
        reserves=(SourceSettings("custody", "bitcoin-esplora", "reserve", esplora),),
        deployments=(
            SourceSettings(
                "eth",
                "evm-erc20",
                "supply",
                EvmErc20Config(name="eth", chain_id="eip155:1", **evm, expected_decimals=8),
            ),
            SourceSettings(
                "l2",
                "evm-erc20",
                "supply",
                EvmErc20Config(name="l2", chain_id="eip155:10", **evm),
                supply_role="bridge",
                bridge_source="eth",
            ),
        ),
    )


def test_setup_from_settings(tmp_path):
    setup = build_setup(_settings(tmp_path, mint_fee_bp=15, mint_fee_sat=1000, release_fee_max_sat=500))
    assert list(setup.deployments) == ["eth"] and setup.deployments["eth"].decimals == 8
    assert setup.deployments["eth"].chain_id == "eip155:1"
    assert setup.fees == rules.Fees(15, 1000, 500) and setup.min_confirmations == 3
    assert setup.esplora_url == "http://127.0.0.1:1" and setup.network == "regtest"
    assert [w.name for w in setup.wallets] == ["cold"] and setup.deadline_blocks == rules.RELEASE_DEADLINE_BLOCKS
    assert build_setup(_settings(tmp_path, min_confirmations=10)).min_confirmations == 10


def test_setup_without_an_esplora_source(tmp_path):
    s = _settings(tmp_path)
    setup = build_setup(replace(s, reserves=(replace(s.reserves[0], kind="bitcoin-core"),)))
    assert setup.esplora_url is None and setup.wallets  # members still known; nothing reconciled


def test_devnet_fee_is_the_devnet_mint_fee(tmp_path):
    from chains.devnet.network import MINT_FEE_BP
    from reserves.devnet.manifest import FORMAT, apply

    # The devnet's manifest sets its own fee over the configured one; its release deadline is its own.
    s = apply(
        _settings(tmp_path, devnet=True, mint_fee_bp=900),
        {"format": FORMAT, "reserves": [], "deployments": [], "mint_fee_bp": MINT_FEE_BP},
    )
    setup = build_setup(replace(s, reserves=_settings(tmp_path).reserves))
    assert setup.fees == rules.Fees(MINT_FEE_BP) and setup.deadline_blocks == rules.DEVNET_RELEASE_DEADLINE_BLOCKS


async def test_the_job_never_raises(tmp_path, caplog):
    db = open_database(f"sqlite:///{tmp_path / 'unmigrated.db'}")  # no tables: the pass fails inside
    try:
        with caplog.at_level(logging.ERROR):
            await reconcile_job(db, build_setup(_settings(tmp_path)))
        assert "reconciliation pass failed" in caplog.text
    finally:
        await db.dispose()


async def test_only_a_leading_worker_runs_the_pass_with_its_database_and_settings(tmp_path, caplog):
    """What a closing or following runtime once skipped inside the job, the worker's scheduler decides now:
    the job gets the worker's database and the setup of its settings, and a follower never runs it."""
    settings = _settings(tmp_path, mint_fee_bp=15)
    db = object()  # test double: any use of it fails the pass, which the job logs
    run, job = scheduled(parts(settings, db), "reconcile")
    assert job.func is reconcile_job and job.args == (db, build_setup(settings)) and not job.keywords
    follower, _ = scheduled(parts(settings, db, leading=False), "reconcile")
    with caplog.at_level(logging.ERROR, logger="reserves.jobs.reconcile"):
        await follower()
        assert "reconciliation pass failed" not in caplog.text  # the follower did not even start it
        await run()
        assert "reconciliation pass failed" in caplog.text  # the leader did


async def test_a_stopping_worker_ends_a_pass_quietly_and_the_next_pass_does_its_work(tmp_path, btc, caplog):
    """Cancelled while it waits on Esplora (the worker is stopping): no error, nothing half stored."""
    url = f"sqlite:///{tmp_path / 'r.db'}"
    await asyncio.to_thread(upgrade, url)
    db = open_database(url)
    hanging = socket.socket()  # accepts connections (the kernel's backlog) and never answers
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(8)
    try:
        async with db.sessions() as session:
            session.add_all(mint_pair(DEP, 10, 0, 1_000, "ab" * 32, 0))
            await session.commit()
        stuck = btc.setup(
            esplora_url=f"http://127.0.0.1:{hanging.getsockname()[1]}",
            client_options={"retries": 0, "backoff_seconds": 0.0, "timeout": 60.0},
        )
        task = asyncio.create_task(leader_only(partial(reconcile_job, db, stuck), lambda: True)())
        await asyncio.sleep(0.5)
        assert not task.done()
        with caplog.at_level(logging.INFO):
            task.cancel()
            await asyncio.wait_for(task, 10)  # ends without raising
        assert "job reconcile_job cancelled: the worker is stopping" in caplog.text
        assert "reconciliation pass failed" not in caplog.text
        assert await items(db) == {}
        await reconcile_job(db, btc.setup())
        [item] = (await items(db)).values()
        assert (item.status, item.reason) == ("unreconciled", rules.DEPOSIT_NOT_FOUND)
    finally:
        hanging.close()
        await db.dispose()


def test_migration_matches_the_models(db_url):
    from tests.pg import model_drift

    upgrade(db_url)
    mine = [d for d in model_drift(db_url) if "reconcile_" in repr(d)]
    assert mine == []
