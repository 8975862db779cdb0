"""A devnet and a worker in the benchmark's process: what the snapshot and scan benchmarks measure."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from reserves.devnet.process import DevnetProcess
from reserves.settings.load import default_settings
from reserves.worker.worker import Worker


@asynccontextmanager
async def devnet_worker() -> AsyncIterator[tuple[DevnetProcess, Worker]]:
    """A devnet on free ports (not driven: the benchmark ticks it) and a worker reading it."""
    base = default_settings(Path(tempfile.mkdtemp(prefix="bench-")))
    devnet = await asyncio.to_thread(DevnetProcess.start, replace(base.devnet, enabled=True, port=0), drive=False)
    try:
        worker = await Worker.start(replace(base, devnet=replace(base.devnet, url=devnet.url)))
        try:
            yield devnet, worker
        finally:
            await worker.close()
    finally:
        await asyncio.to_thread(devnet.stop)
