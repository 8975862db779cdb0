"""What liquidity providers add to a snapshot: the devnet's snapshot with its providers against the same
snapshot without them, interleaved in one run (same devnet, worker and database), plus the providers'
reads and their member alone."""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import datetime, timezone

from bench.stack import devnet_worker
from reserves.attestation.arithmetic import format_timestamp
from reserves.attestation.collateral import PAIR, Price
from reserves.attestation.members import providers as lp_member
from reserves.jobs.prices import price_job
from reserves.providers.read import read_providers
from reserves.snapshot.take import take_snapshot

ROUNDS = 20
BENCH_PRICE_E8 = 6_700_000_000_000  # 67,000 USD per BTC: the member's own cost, apart from the oracle's
MEMBER_ROUNDS = 200


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


async def _run() -> None:
    async with devnet_worker() as (devnet, worker):
        ctx = worker.context
        readers = ctx.sources.providers
        if not readers:
            raise SystemExit("the devnet declares no providers: nothing to measure")
        timeout = ctx.settings.schedule.source_timeout_seconds
        # One round of the oracle first, as the worker's price job does, so USD collateral is valued.
        await price_job(worker.db, ctx.settings.prices, [src.adapter for src in ctx.sources.price])
        with_lp: list[float] = []
        without: list[float] = []
        reads: list[float] = []
        for i in range(2 * ROUNDS):
            await asyncio.to_thread(devnet.devnet.tick)
            # Interleaved (with, without, with, ...) so that a slower phase of a noisy machine hits both.
            ctx.sources.providers = readers if i % 2 == 0 else []
            t = time.perf_counter()
            await take_snapshot(ctx)
            (with_lp if i % 2 == 0 else without).append(time.perf_counter() - t)
        ctx.sources.providers = readers
        for _ in range(ROUNDS):
            t = time.perf_counter()
            results = await read_providers(readers, timeout)
            reads.append(time.perf_counter() - t)
        now = datetime.now(timezone.utc).replace(microsecond=0)
        price = Price(PAIR, BENCH_PRICE_E8, now, True, "bench fixed price")
        given = lp_member.ProvidersInput(tuple(results), ctx.settings.provider_policy, price)
        made = lp_member.member(given, now)
        builds = []
        for _ in range(MEMBER_ROUNDS):
            t = time.perf_counter()
            made = lp_member.member(given, now)
            builds.append(time.perf_counter() - t)
        doc = {"issued_at": format_timestamp(now), "providers": made}
        checks = []
        for _ in range(MEMBER_ROUNDS):
            t = time.perf_counter()
            problems = lp_member.check(doc)
            checks.append(time.perf_counter() - t)
        if problems:
            raise SystemExit(f"the member does not check: {problems}")
        legs = 2 * len(readers)
        a, b = _ms(with_lp), _ms(without)
        print(
            f"snapshot with the devnet's {len(readers)} providers ({legs} legs): median {a:.1f} ms over {ROUNDS} runs"
        )
        print(f"reference: the same snapshot without providers, interleaved: median {b:.1f} ms over {ROUNDS} runs")
        print(f"ratio: providers add {a - b:+.1f} ms, x{a / b:.2f} of a snapshot (read concurrently with the sources)")
        print(f"their {legs} reads alone, concurrently: median {_ms(reads):.1f} ms over {ROUNDS} runs")
        print(
            f"their member: build median {_ms(builds) * 1e3:.0f} us, check (verify) median {_ms(checks) * 1e3:.0f} us "
            f"over {MEMBER_ROUNDS} runs"
        )


def main() -> None:
    asyncio.run(_run())


if __name__ == "__main__":
    main()
