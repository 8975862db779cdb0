"""The evidence job: SPV evidence of the latest attestation's UTXOs, a little after each snapshot."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from chains.bitcoin.esplora.client import EsploraClient
from reserves.evidence.service import collect_for_latest
from reserves.settings.model import SourceSettings
from reserves.storage.db import Database

log = logging.getLogger(__name__)
ESPLORA_KIND = "bitcoin-esplora"


async def evidence_job(db: Database, reserves: Iterable[SourceSettings]) -> None:
    """Collect evidence for the latest attestation; never dies.

    Each Esplora reserve source gets a short-lived client; other kinds (Core RPC, quorum) are
    skipped: their UTXOs have no bundle.
    """
    clients = {
        src.name: EsploraClient(src.config.esplora_url, timeout=src.config.timeout_seconds)
        for src in reserves
        if src.kind == ESPLORA_KIND
    }
    try:
        summary = await collect_for_latest(db, clients)
        log.info("evidence: %s", summary)
    except Exception:
        log.exception("evidence run failed")
    finally:
        for client in clients.values():
            await client.aclose()
