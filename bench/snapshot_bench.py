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
        snaps, body = [], {}
        for _ in range(ROUNDS):
            await asyncio.to_thread(devnet.devnet.tick)
            t = time.perf_counter()
            env = await take_snapshot(worker.context)
            snaps.append(time.perf_counter() - t)
            body = env["attestation"]
        sources = body["reserves"]["sources"]
        wallets = sum(len(s.get("wallets") or ()) for s in sources)
        deployments = len(body["supply"]["deployments"])
        one = statistics.median(ref)
        snap = statistics.median(snaps)
        print(
            f"snapshot (the devnet's {wallets} named reserve wallets in {len(sources)} source(s), {deployments} "
            f"EVM deployments, sign, store): median {snap * 1e3:.1f} ms over {ROUNDS} runs"
        )
        print(f"reference: one Esplora GET round trip: median {one * 1e3:.2f} ms")
        print(f"ratio: a snapshot costs {snap / one:.0f} round trips (all sources read concurrently)")


def main() -> None:
    asyncio.run(_run())


if __name__ == "__main__":
    main()
