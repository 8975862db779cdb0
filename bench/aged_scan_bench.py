"""Reserve reads on an aged devnet: a cold read (every UTXO height checked) against warm reads (anchor cache)."""

from __future__ import annotations

import asyncio
import statistics
import time

from bench.stack import devnet_worker
from reserves.snapshot.read import read_sources

AGE_BLOCKS = 1500
WARM_READS = 5


async def _run() -> None:
    async with devnet_worker() as (devnet, worker):
        timeout = worker.settings.schedule.source_timeout_seconds
        for _ in range(AGE_BLOCKS):
            devnet.devnet.tick()
        t = time.perf_counter()
        reserves, _ = await read_sources(worker.sources, timeout)
        cold = time.perf_counter() - t
        warm = []
        for _ in range(WARM_READS):
            t = time.perf_counter()
            reserves, _ = await read_sources(worker.sources, timeout)
            warm.append(time.perf_counter() - t)
        utxos = sum(len(o.reading.utxos) for o in reserves if o.reading)
        errors = [o.error_code for o in reserves if o.error_code]
        print(f"aged devnet: {AGE_BLOCKS} blocks, {utxos} counted UTXOs in 3 wallets, errors: {errors or 'none'}")
        print(f"reference: cold read (one /block-height per distinct UTXO height): {cold * 1e3:.0f} ms")
        print(
            f"warm read (heights below a still-best anchor reused): median {statistics.median(warm) * 1e3:.0f} ms "
            f"over {WARM_READS}"
        )
        print(f"ratio: a warm read costs {statistics.median(warm) / cold:.2f} of the cold one")


def main() -> None:
    asyncio.run(_run())


if __name__ == "__main__":
    main()
