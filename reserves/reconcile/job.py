"""The reconciliation job: check new mints against Bitcoin deposits and burns against releases."""

from __future__ import annotations

from reserves.runtime import Runtime


async def reconcile_job(rt: Runtime) -> None:
    """CONTRACT STUB (issue 4): reconcile what the monitor stored; never raises."""
    return None
