"""The price job: one oracle round every `[prices] interval_seconds`, in the leading worker only."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from chains.price.base import PriceAdapter
from reserves.prices.round import run_round
from reserves.settings.model import PriceSettings
from reserves.storage.db import Database

log = logging.getLogger(__name__)


async def price_job(
    db: Database,
    settings: PriceSettings,
    adapters: Sequence[PriceAdapter],
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> None:
    """Read and store one round; a failure is logged, never raised (the next round is the retry).
    Each source gets at most the interval (capped at 60 s) before it counts as timed out."""
    try:
        timeout = min(settings.interval_seconds, 60.0)
        result = await run_round(db, settings, adapters, clock(), timeout)
        if result.status != "fresh":
            log.warning(
                "price %s stale (%s): %d of %d sources kept",
                result.pair,
                result.reason,
                result.kept,
                len(result.verdicts),
            )
    except Exception:
        log.exception("price round failed")
