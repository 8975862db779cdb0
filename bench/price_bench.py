"""What one median-oracle round costs without the network: `aggregate` over 10 sources (one liar, one
timeout, one frozen), next to `statistics.median` of the same 10 numbers measured in the same run.

`python -m bench.price_bench [--rounds 2000]`. The target is well under 10 ms per aggregation.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from reserves.prices.aggregate import Memory, Observation, PricePolicy, aggregate

SOURCES = 10


def observations(rng: random.Random, now: datetime) -> list[Observation]:
    """10 sources around 67,000 with 2 decimals; source 0 lies 5 %, source 1 timed out."""
    out = []
    for i in range(SOURCES):
        value = Decimal(rng.randint(6_690_000, 6_710_000)).scaleb(-2)
        if i == 0:
            value *= Decimal("1.05")
        if i == 1:
            out.append(Observation(f"s{i}", "price-ticker", failure="timeout", detail="no answer"))
            continue
        out.append(Observation(f"s{i}", "price-ticker", value, now - timedelta(seconds=rng.randint(0, 30))))
    return out


def _time(fn, rounds: int) -> float:
    """Median seconds of one call over `rounds` calls."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description="median price oracle benchmark")
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args(argv or [])
    rng, now, policy = random.Random(15), datetime.now(timezone.utc), PricePolicy()
    obs = observations(rng, now)
    memory = {"s9": Memory(obs[9].value, now - timedelta(seconds=600))} if obs[9].value is not None else {}
    values = [o.value for o in obs if o.value is not None]
    result = aggregate("BTC/USD", obs, policy, now, memory)
    ours = _time(lambda: aggregate("BTC/USD", obs, policy, now, memory), args.rounds)
    reference = _time(lambda: statistics.median(values), args.rounds)
    print(f"price oracle: {SOURCES} sources, {result.kept} kept, status {result.status}, price {result.price}")
    print(f"  aggregate (verdicts, exact median, deviation filter): {ours * 1e6:8.1f} us")
    print(f"  reference statistics.median of the same numbers:    {reference * 1e6:8.1f} us")
    print(f"  ratio: {ours / reference:.1f}x the bare median; target < 10 ms: {'yes' if ours < 0.01 else 'NO'}")
    return {"aggregate_seconds": ours, "reference_seconds": reference}


if __name__ == "__main__":
    main()
