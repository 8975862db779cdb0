"""The anchor job: the next final attestation ids published on an EVM chain (reserves.trust.anchoring)."""

from __future__ import annotations

import logging

from reserves.trust.anchoring import Anchorer

log = logging.getLogger(__name__)


async def anchor_job(anchorer: Anchorer) -> None:
    """Anchor the next final attestations; a failure is recorded and retried, the job never dies."""
    try:
        await anchorer.run()
    except Exception:
        log.exception("anchor job failed")
