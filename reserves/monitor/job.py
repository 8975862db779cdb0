"""The monitor job: advance every EVM deployment's event replay by one step."""

from __future__ import annotations

from reserves.runtime import Runtime


async def monitor_job(rt: Runtime) -> None:
    """CONTRACT STUB (issue 4): replay new logs of every deployment; never raises."""
    return None
