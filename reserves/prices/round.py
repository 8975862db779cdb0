"""One round of the oracle: read every source concurrently, judge them, store the result.

The worker's price job calls `run_round` every `[prices] interval_seconds` (leader only). A source
that fails becomes an Observation with its failure (never an exception out of the round).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from chains.errors import ChainDataError, ChainError
from chains.price.base import PriceAdapter, PriceTimeout
from reserves.prices.aggregate import Aggregate, Memory, Observation, aggregate
from reserves.settings.model import PriceSettings
from reserves.storage import price_series
from reserves.storage.db import Database
from reserves.storage.price_models import PricePoint, PriceSourcePoint

log = logging.getLogger(__name__)
MAX_DETAIL = 300


def failure_of(exc: BaseException) -> str:
    """The verdict reason of a failed read: timeout, malformed (garbage) or unavailable."""
    if isinstance(exc, (PriceTimeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, ChainDataError):
        return "malformed"
    return "unavailable"


async def observe(adapter: PriceAdapter, timeout: float) -> Observation:
    """One source's observation; its failures, and a hang past `timeout`, become a failure."""
    try:
        async with asyncio.timeout(timeout):
            reading = await adapter.read_price()
    except (ChainError, TimeoutError) as exc:
        detail = exc.detail if isinstance(exc, ChainError) else f"no answer within {timeout:g} s"
        return Observation(adapter.name, adapter.kind, failure=failure_of(exc), detail=detail[:MAX_DETAIL])
    except Exception as exc:  # a plugin's bug must not end the round for the others
        log.exception("price source %s failed", adapter.name)
        return Observation(adapter.name, adapter.kind, failure="unavailable", detail=type(exc).__name__)
    return Observation(adapter.name, adapter.kind, value=reading.value, time=reading.time)


async def observe_all(adapters: Sequence[PriceAdapter], timeout: float) -> list[Observation]:
    return list(await asyncio.gather(*(observe(a, timeout) for a in adapters)))


def _rows(result: Aggregate) -> tuple[PricePoint, list[PriceSourcePoint]]:
    point = PricePoint(
        pair=result.pair,
        time=result.time,
        price_e8=result.price_e8,
        price=None if result.price is None else str(result.price),
        status=result.status,
        reason=result.reason,
        sources=len(result.verdicts),
        kept=result.kept,
    )
    rows = [
        PriceSourcePoint(
            pair=result.pair,
            time=result.time,
            source=v.source,
            kind=v.kind,
            value=None if v.value is None else str(v.value),
            observed_at=v.time,
            kept=v.kept,
            reason=v.reason,
            detail=v.detail[:MAX_DETAIL],
            since=v.since,
        )
        for v in result.verdicts
    ]
    return point, rows


async def previous_memory(session, pair: str, heartbeat_seconds: int) -> dict[str, Memory]:
    """Each source's value and since when: from the newest stored round of `pair`, and for a source that
    gave no value in it (failed, malformed), from its newest verdict with a value in the `2 x heartbeat`
    before it. A failure in between does not reset the memory: a frozen source that fails now and then
    is still frozen; a value older than that window and the same as now is past the heartbeat anyway."""
    last = await price_series.latest(session, pair)
    if last is None:
        return {}
    out, missing = {}, []
    for row in await price_series.verdicts(session, pair, last.time):
        if row.value is not None and row.since is not None:
            out[row.source] = Memory(Decimal(row.value), price_series.as_utc(row.since))
        else:
            missing.append(row.source)
    if missing:
        after = last.time - timedelta(seconds=2 * heartbeat_seconds)
        for row in await price_series.last_values(session, pair, missing, after):
            if row.value is not None and row.since is not None:  # as the query selects
                out[row.source] = Memory(Decimal(row.value), price_series.as_utc(row.since))
    return out


async def run_round(
    db: Database, settings: PriceSettings, adapters: Sequence[PriceAdapter], now: datetime, timeout: float
) -> Aggregate:
    """Read, judge and store one round of `settings.pair` dated `now`; the aggregate it stored."""
    observations = await observe_all(adapters, timeout)
    async with db.sessions() as session:
        async with session.begin():
            memory = await previous_memory(session, settings.pair, settings.policy.heartbeat_seconds)
            result = aggregate(settings.pair, observations, settings.policy, now, memory)
            point, rows = _rows(result)
            await price_series.record(session, point, rows)
    return result
