"""Snapshot latency on the devnet against the reference of one Esplora round trip over the same HTTP stack."""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx

from bench.stack import devnet_worker
from reserves.snapshot.take import take_snapshot

ROUNDS = 20


async def _run() -> None:
    async with devnet_worker() as (devnet, worker):
        url = devnet.devnet.esplora_url
        async with httpx.AsyncClient() as client:
            ref = []
            for _ in range(ROUNDS * 5):
                t = time.perf_counter()
                (await client.get(f"{url}/blocks/tip/hash")).raise_for_status()
                ref.append(time.perf_counter() - t)
        snaps, requests_per_snapshot = [], None
        for _ in range(ROUNDS):
            await asyncio.to_thread(devnet.devnet.tick)
            t = time.perf_counter()
            env = await take_snapshot(worker.context)
            snaps.append(time.perf_counter() - t)
            body = env["attestation"]
            requests_per_snapshot = sum(1 for _ in body["reserves"]["sources"])
        one = statistics.median(ref)
        snap = statistics.median(snaps)
        print(f"snapshot (the devnet's 6 named reserve wallets, 2 EVM chains, sign, store): median {snap * 1e3:.1f} ms "
              f"over {ROUNDS} runs")
        print(f"reference: one Esplora GET round trip: median {one * 1e3:.2f} ms")
        print(f"ratio: a snapshot costs {snap / one:.0f} round trips "
              f"({requests_per_snapshot} reserve sources read concurrently)")


def main() -> None:
    asyncio.run(_run())


if __name__ == "__main__":
    main()
