"""The job: its configuration from the settings (native deployments, fees, depth), it never raises, and the
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
from reserves.settings.load import default_settings
from reserves.settings.model import ReconcileSettings, Settings, SourceSettings
from reserves.storage import reconcile_models  # noqa: F401  (registers the tables)
from reserves.storage.migrate import upgrade

ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


def _settings(tmp_path: Path, devnet: bool = False, **reconciliation) -> Settings:
    base = default_settings(tmp_path)
    settings = replace(base, reconciliation=ReconcileSettings(**reconciliation),
                       devnet=replace(base.devnet, enabled=devnet))
    esplora = BitcoinEsploraConfig(name="custody", esplora_url="http://127.0.0.1:1", network="regtest",
                                   wallets=(WalletSpec(name="cold", network="regtest", addresses=(ADDRESS,)),),
                                   min_confirmations=3)
    evm = dict(rpc_url="http://127.0.0.1:2", contract="0x" + "11" * 20)
    return replace(settings, reserves=(SourceSettings("custody", "bitcoin-esplora", "reserve", esplora),),
                   deployments=(
        SourceSettings("eth", "evm-erc20", "supply", EvmErc20Config(name="eth", chain_id="eip155:1", **evm,
                                                                     expected_decimals=8)),
        SourceSettings("l2", "evm-erc20", "supply", EvmErc20Config(name="l2", chain_id="eip155:10", **evm),
                       supply_role="bridge", bridge_source="eth")))


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
    s = apply(_settings(tmp_path, devnet=True, mint_fee_bp=900),
              {"format": FORMAT, "reserves": [], "deployments": [], "mint_fee_bp": MINT_FEE_BP})
    setup = build_setup(replace(s, reserves=_settings(tmp_path).reserves))
    assert setup.fees == rules.Fees(MINT_FEE_BP) and setup.deadline_blocks == rules.DEVNET_RELEASE_DEADLINE_BLOCKS


async def test_the_job_never_raises(tmp_path, caplog):
    from reserves.storage.db import open_database

    db = open_database(f"sqlite:///{tmp_path / 'unmigrated.db'}")  # no tables: the pass fails inside
    try:
        with caplog.at_level(logging.ERROR):
            await reconcile_job(db, build_setup(_settings(tmp_path)))
        assert "reconciliation pass failed" in caplog.text
    finally:
        await db.dispose()


def test_migration_matches_the_models(db_url):
    from tests.pg import model_drift

    upgrade(db_url)
    mine = [d for d in model_drift(db_url) if "reconcile_" in repr(d)]
    assert mine == []
