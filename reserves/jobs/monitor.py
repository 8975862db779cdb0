"""The monitor job: advance every EVM deployment's event replay by a bounded step; never raises."""

from __future__ import annotations

import logging
from typing import Any

from chains.errors import ChainDataError, ChainError
from reserves.monitor.replay import DeploymentMonitor, Finding, RunReport
from reserves.runtime import Runtime
from reserves.storage.db import Database

log = logging.getLogger(__name__)

EVM_KIND = "evm-erc20"
# Work per deployment and run: the job runs every snapshot interval, a long catch-up spans runs.
MAX_RANGES_PER_RUN = 200
SECONDS_PER_RUN = 30.0


def evm_deployments(rt: Runtime) -> list[Any]:
    """The EvmErc20Config of every evm-erc20 supply source of the runtime."""
    return [src.settings.config for src in rt.supply_sources if src.settings.kind == EVM_KIND]


async def monitor_deployment(db: Database, config: Any, *, max_ranges: int | None = MAX_RANGES_PER_RUN,
                             seconds: float | None = SECONDS_PER_RUN, reader: Any = None) -> RunReport | None:
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


async def monitor_job(rt: Runtime) -> None:
    """Advance every EVM deployment's replay by at most MAX_RANGES_PER_RUN ranges; never raises."""
    if rt.db is None or rt.closing:
        return
    for config in evm_deployments(rt):
        try:
            await monitor_deployment(rt.db, config)
        except Exception:  # a dead job would stop every later run: log and go on
            log.exception("monitor %s failed", getattr(config, "name", "?"))
