"""The monitor job: advance every EVM deployment's event replay by a bounded step; never raises."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from chains.errors import ChainDataError, ChainError
from reserves.monitor.replay import DeploymentMonitor, Finding, RunReport
from reserves.monitor.store import EVM_KIND
from reserves.settings.model import SourceSettings
from reserves.storage.db import Database

log = logging.getLogger(__name__)

# Work per deployment and run: the job runs every snapshot interval, a long catch-up spans runs.
MAX_RANGES_PER_RUN = 200
SECONDS_PER_RUN = 30.0


def evm_deployments(deployments: Iterable[SourceSettings]) -> list[Any]:
    """The EvmErc20Config of every evm-erc20 deployment."""
    return [src.config for src in deployments if src.kind == EVM_KIND]


async def monitor_deployment(
    db: Database,
    config: Any,
    *,
    max_ranges: int | None = MAX_RANGES_PER_RUN,
    seconds: float | None = SECONDS_PER_RUN,
    reader: Any = None,
) -> RunReport | None:
    """One bounded pass over one deployment. Data errors become open issues; transport errors are logged.

    Returns the run's report, or None when the run stopped on an error (retried next run).
    """
    monitor = DeploymentMonitor(db, config, reader)
    try:
        return await monitor.run(max_ranges=max_ranges, seconds=seconds)
    except Finding as exc:
        log.warning("monitor %s: %s: %s", config.name, exc.kind, exc.detail)
        await monitor.record_finding(exc)
    except ChainDataError as exc:
        log.warning("monitor %s: bad data: %s", config.name, exc.detail)
        await monitor.record_finding(Finding("bad_logs", exc.detail))
    except ChainError as exc:
        # The node is unreachable or erring: nothing was stored, the next run tries again.
        log.warning("monitor %s: %s (retried next run)", config.name, exc.detail)
    finally:
        await monitor.aclose()
    return None


async def monitor_job(db: Database, deployments: list[Any]) -> None:
    """Advance each EVM deployment's replay (`evm_deployments`) by at most MAX_RANGES_PER_RUN ranges; never raises."""
    for config in deployments:
        try:
            await monitor_deployment(db, config)
        except Exception:  # a dead job would stop every later run: log and go on
            log.exception("monitor %s failed", getattr(config, "name", "?"))
