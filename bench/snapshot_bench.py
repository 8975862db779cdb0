"""Snapshot latency on the devnet against the reference of one Esplora round trip over the same HTTP stack."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from reserves.snapshot.take import take_snapshot
from reserves.runtime import Runtime
from reserves.settings.load import default_settings

ROUNDS = 20


async def _run() -> None:
    rt = await Runtime(default_settings(Path(tempfile.mkdtemp(prefix="bench-")))).start()
    try:
        url = rt.devnet.esplora_url
        async with httpx.AsyncClient() as client:
            ref = []
            for _ in range(ROUNDS * 5):
                t = time.perf_counter()
                (await client.get(f"{url}/blocks/tip/hash")).raise_for_status()
                ref.append(time.perf_counter() - t)
        snaps, requests_per_snapshot = [], None
        for _ in range(ROUNDS):
            await asyncio.to_thread(rt.devnet.tick)
            t = time.perf_counter()
            env = await take_snapshot(rt)
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
    finally:
        await rt.close()


def main() -> None:
    asyncio.run(_run())


if __name__ == "__main__":
    main()
