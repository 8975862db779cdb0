"""The reconciliation job: check new mints against Bitcoin deposits and burns against releases."""

from __future__ import annotations

import logging

from reserves.reconcile import rules as r
from reserves.reconcile.run import DeploymentInfo, Setup, reconcile_pass
from reserves.settings.model import Settings
from reserves.storage.db import Database

log = logging.getLogger(__name__)
ESPLORA_KIND = "bitcoin-esplora"


def build_setup(settings: Settings) -> Setup:
    """The pass's configuration: native deployments only (a bridge representation is backed by its
    lockbox, not by deposits), the first Esplora reserve source, every declared wallet.

    Fees are the `[reconciliation]` settings (the devnet's manifest sets its own mint fee). The
    required depth is `reconciliation.min_confirmations`, else the Esplora source's own.
    """
    deployments = {}
    for src in settings.deployments:
        if src.supply_role != "native":
            continue
        deployments[src.name] = DeploymentInfo(src.config.chain_id, src.config.expected_decimals)
    esplora = next((src.config for src in settings.reserves if src.kind == ESPLORA_KIND), None)
    wallets = tuple(w for src in settings.reserves for w in src.config.wallets)
    network = (
        esplora.network if esplora is not None else next((src.config.network for src in settings.reserves), "main")
    )
    rc = settings.reconciliation
    fees = r.Fees(rc.mint_fee_bp, rc.mint_fee_sat, rc.release_fee_max_sat)
    deadline = r.DEVNET_RELEASE_DEADLINE_BLOCKS if settings.devnet.enabled else r.RELEASE_DEADLINE_BLOCKS
    depth = rc.min_confirmations or (esplora.min_confirmations if esplora is not None else 6)
    options = (
        {}
        if esplora is None
        else {
            "timeout": esplora.timeout_seconds,
            "retries": esplora.retries,
            "concurrency": esplora.concurrency,
            "backoff_seconds": esplora.backoff_seconds,
        }
    )
    return Setup(
        deployments=deployments,
        esplora_url=None if esplora is None else esplora.esplora_url,
        network=network,
        wallets=wallets,
        fees=fees,
        min_confirmations=depth,
        deadline_blocks=deadline,
        client_options=options,
    )


async def reconcile_job(db: Database, setup: Setup) -> None:
    """One bounded reconciliation pass over what the monitor stored; logs and never raises."""
    try:
        counts = await reconcile_pass(db, setup)
        log.debug("reconciliation: %s", counts)
    except Exception:  # a dead job would leave the table stale for ever; the next interval retries
        log.exception("reconciliation pass failed")
