"""Reading every provider's obligation and collateral at once: failures come back as failed legs."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from chains.errors import ChainError
from reserves.attestation.members.providers import LegResult, ProviderResult
from reserves.providers.sources import LegReader, ProviderReader

log = logging.getLogger(__name__)


async def read_leg(leg: LegReader, timeout: float) -> LegResult:
    """The leg's reading, or its error code and a detail safe to publish: never an exception."""
    s = leg.settings
    declared = LegResult(
        kind=s.kind,
        chain_id=s.chain_id,
        asset=s.asset,
        decimals=s.decimals,
        addresses=s.addresses,
        max_age_seconds=s.max_age_seconds,
        token=s.token,
    )
    try:
        block, amount = await asyncio.wait_for(leg.read(), timeout)
    except ChainError as exc:
        return _failed(declared, exc.code, exc.detail)
    except TimeoutError:
        return _failed(declared, "timeout", f"no answer within {timeout:g} s")
    except Exception as exc:  # a bug in one reader makes that provider unknown, never a dead job
        log.exception("provider reading %s failed unexpectedly", leg.adapter.name)
        return _failed(declared, "internal", f"unexpected {type(exc).__name__}")
    return replace(declared, block=block, amount=amount)


def _failed(declared: LegResult, code: str, detail: str) -> LegResult:
    return replace(declared, error_code=code, error_detail=detail)


async def read_providers(readers: list[ProviderReader], timeout: float) -> list[ProviderResult]:
    """Every provider's two readings, all concurrently, each within `timeout` seconds."""
    legs = await asyncio.gather(*(read_leg(leg, timeout) for r in readers for leg in (r.obligation, r.collateral)))
    return [ProviderResult(r.settings.name, legs[2 * i], legs[2 * i + 1]) for i, r in enumerate(readers)]
