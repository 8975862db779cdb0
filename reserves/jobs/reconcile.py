"""The reconciliation job: check new mints against Bitcoin deposits and burns against releases."""

from __future__ import annotations

import logging

from reserves.reconcile import rules as r
from reserves.reconcile.run import DeploymentInfo, Setup, reconcile_pass
from reserves.declarations.reserve_set import source_wallets
from reserves.runtime import Runtime

log = logging.getLogger(__name__)
ESPLORA_KIND = "bitcoin-esplora"


def build_setup(rt: Runtime) -> Setup:
    """The pass's configuration from the runtime: native deployments only (a bridge representation is
    backed by its lockbox, not by deposits), the first Esplora reserve source, every declared wallet.

    Fees are the `[reconciliation]` settings, or the devnet's own mint fee when the devnet runs.
    The required depth is `reconciliation.min_confirmations`, else the Esplora source's own.
    """
    s = rt.settings
    deployments = {}
    for src in rt.supply_sources:
        if src.settings.supply_role != "native":
            continue
        cfg = src.settings.config
        decimals = getattr(cfg, "expected_decimals", None)
        deployments[src.settings.name] = DeploymentInfo(str(getattr(cfg, "chain_id", "")), decimals)
    esplora = next((src.settings.config for src in rt.reserve_sources if src.settings.kind == ESPLORA_KIND), None)
    wallets = tuple(w for _, specs in source_wallets(rt.reserve_sources) for w in specs)
    network = getattr(esplora, "network", None) or next(
        (getattr(src.settings.config, "network", None) for src in rt.reserve_sources), "main")
    rc = s.reconciliation
    if rt.devnet is not None:
        from chains.devnet.network import MINT_FEE_BP

        fees = r.Fees(mint_fee_bp=MINT_FEE_BP)
        deadline = r.DEVNET_RELEASE_DEADLINE_BLOCKS
    else:
        fees = r.Fees(rc.mint_fee_bp, rc.mint_fee_sat, rc.release_fee_max_sat)
        deadline = r.RELEASE_DEADLINE_BLOCKS
    depth = rc.min_confirmations or getattr(esplora, "min_confirmations", 6)
    options = {} if esplora is None else {
        "timeout": esplora.timeout_seconds, "retries": esplora.retries, "concurrency": esplora.concurrency,
        "backoff_seconds": esplora.backoff_seconds}
    return Setup(deployments=deployments, esplora_url=getattr(esplora, "esplora_url", None), network=network,
                 wallets=wallets, fees=fees, min_confirmations=depth, deadline_blocks=deadline, client_options=options)


async def reconcile_job(rt: Runtime) -> None:
    """One bounded reconciliation pass over what the monitor stored; logs and never raises."""
    if rt.closing or rt.db is None:
        return
    try:
        counts = await reconcile_pass(rt.db, build_setup(rt))
        log.debug("reconciliation: %s", counts)
    except Exception:  # a dead job would leave the table stale for ever; the next interval retries
        log.exception("reconciliation pass failed")
