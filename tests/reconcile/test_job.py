"""The job: its configuration from the runtime (native deployments, fees, depth), it never raises, and the
migration builds exactly the tables the models declare."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path


from chains.bitcoin.esplora.config import BitcoinEsploraConfig
from chains.bitcoin.wallets import WalletSpec
from chains.evm.config import EvmErc20Config
from reserves.reconcile import rules
from reserves.jobs.reconcile import build_setup, reconcile_job
from reserves.runtime import Runtime, Source
from reserves.settings.load import default_settings
from reserves.settings.model import ReconcileSettings, SourceSettings
from reserves.storage import reconcile_models  # noqa: F401  (registers the tables)
from reserves.storage.migrate import upgrade

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


def _runtime(tmp_path: Path, **reconciliation) -> Runtime:
    settings = replace(default_settings(tmp_path), reconciliation=ReconcileSettings(**reconciliation))
    esplora = BitcoinEsploraConfig(name="custody", esplora_url="http://127.0.0.1:1", network="regtest",
                                   wallets=(WalletSpec(name="cold", network="regtest", addresses=(ADDRESS,)),),
                                   min_confirmations=3)
    evm = dict(rpc_url="http://127.0.0.1:2", contract="0x" + "11" * 20)
    rt = Runtime(settings)
    rt.reserve_sources = [Source(SourceSettings("custody", "bitcoin-esplora", "reserve", esplora), None)]
    rt.supply_sources = [
        Source(SourceSettings("eth", "evm-erc20", "supply", EvmErc20Config(name="eth", chain_id="eip155:1", **evm,
                                                                            expected_decimals=8)), None),
        Source(SourceSettings("l2", "evm-erc20", "supply", EvmErc20Config(name="l2", chain_id="eip155:10", **evm),
                              supply_role="bridge", bridge_source="eth"), None)]
    return rt


def test_setup_from_settings(tmp_path):
    setup = build_setup(_runtime(tmp_path, mint_fee_bp=15, mint_fee_sat=1000, release_fee_max_sat=500))
    assert list(setup.deployments) == ["eth"] and setup.deployments["eth"].decimals == 8
    assert setup.deployments["eth"].chain_id == "eip155:1"
    assert setup.fees == rules.Fees(15, 1000, 500) and setup.min_confirmations == 3
    assert setup.esplora_url == "http://127.0.0.1:1" and setup.network == "regtest"
    assert [w.name for w in setup.wallets] == ["cold"] and setup.deadline_blocks == rules.RELEASE_DEADLINE_BLOCKS
    assert build_setup(_runtime(tmp_path, min_confirmations=10)).min_confirmations == 10


def test_setup_without_an_esplora_source(tmp_path):
    rt = _runtime(tmp_path)
    rt.reserve_sources = [Source(replace(rt.reserve_sources[0].settings, kind="bitcoin-core"), None)]
    setup = build_setup(rt)
    assert setup.esplora_url is None and setup.wallets  # members still known; nothing reconciled


def test_devnet_fee_is_the_devnet_mint_fee(tmp_path):
    from chains.devnet.network import MINT_FEE_BP

    rt = _runtime(tmp_path, mint_fee_bp=900)
    rt.devnet = object()
    setup = build_setup(rt)
    assert setup.fees == rules.Fees(MINT_FEE_BP) and setup.deadline_blocks == rules.DEVNET_RELEASE_DEADLINE_BLOCKS


async def test_the_job_never_raises(tmp_path, caplog):
    rt = _runtime(tmp_path)
    await reconcile_job(rt)               # no database yet: nothing to do
    from reserves.storage.db import open_database

    rt.db = open_database(f"sqlite:///{tmp_path / 'unmigrated.db'}")  # no tables: the pass fails inside
    try:
        with caplog.at_level(logging.ERROR):
            await reconcile_job(rt)
        assert "reconciliation pass failed" in caplog.text
        rt.closing = True
        await reconcile_job(rt)
    finally:
        await rt.db.dispose()


def test_migration_matches_the_models(db_url):
    from tests.pg import model_drift

    upgrade(db_url)
    mine = [d for d in model_drift(db_url) if "reconcile_" in repr(d)]
    assert mine == []
