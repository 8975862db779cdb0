"""Snapshot latency on the devnet against the reference of one Esplora round trip over the same HTTP stack, and the
cost reserve tiers and locked contracts add: the same snapshot without them, with the tiers alone and with tiers and
contracts, interleaved in one run (so drift and the devnet's growth hit each alike), plus the `tiers` member built
alone in-process (the figure the wall-clock difference is too noisy to show)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from dataclasses import replace

import httpx

from bench.stack import devnet_worker
from reserves.attestation.members import contracts as c_
from reserves.attestation.members import tiers as t_
from reserves.settings.tiers import TiersSettings
from reserves.snapshot.take import take_snapshot

ROUNDS = 20
MEMBER_ROUNDS = 200


def variants(ctx) -> dict[str, object]:
    """Snapshot contexts alike but for what they declare: the devnet's tiers and contracts, its tiers alone, nothing."""
    declared = ctx.settings.tiers
    alone = TiersSettings(declared.tiers, ())
    return {
        "tiers+contracts": ctx,
        "tiers only": replace(ctx, settings=replace(ctx.settings, tiers=alone)),
        "no tiers": replace(ctx, settings=replace(ctx.settings, tiers=TiersSettings())),
    }


def member_seconds(body: dict, rounds: int) -> tuple[float, float]:
    """(median warm, one cold) seconds to build the `tiers` member of `body` from its declarations and sources, as
    members/tiers.build does (cold: the contracts' descriptors derived again, as on a worker's first snapshot)."""
    signed = body["tiers"]
    sources = body["reserves"]["sources"]
    decls = [
        c_.ContractDecl(
            c["name"],
            c["txid"],
            c["vout"],
            c["wallet"],
            c["network"],
            c["descriptor"],
            c["index"],
            int(c["amount_sat"]),
            c["unlock"]["kind"],
            c["unlock"]["at"],
        )  # fmt: skip
        for c in signed["contracts"]
    ]
    declared = [
        {k: t[k] for k in ("name", "locked", "unlocked_to", "wallets", "target_bp", "band_bp")} for t in signed["tiers"]
    ]
    home = {w: t["name"] for t in declared for w in t["wallets"]}

    def build() -> dict:
        contracts = [c_.entry(d, home.get(d.wallet), sources, {}) for d in decls]
        return t_.member(declared, contracts, sources)

    c_.script_of.cache_clear()
    t = time.perf_counter()
    if build() != signed:
        raise RuntimeError("the member built here is not the one the snapshot signed")
    cold = time.perf_counter() - t
    warm = []
    for _ in range(rounds):
        t = time.perf_counter()
        build()
        warm.append(time.perf_counter() - t)
    return statistics.median(warm), cold


def spread(seconds: list[float]) -> str:
    """The 25th to 75th percentile, in ms: how far apart runs of one variant lie on this machine now."""
    q = statistics.quantiles(seconds, n=4) if len(seconds) > 1 else [seconds[0]] * 3
    return f"{q[0] * 1e3:.0f}-{q[2] * 1e3:.0f} ms"


def size(body: dict) -> int:
    return len(json.dumps(body, separators=(",", ":")))


async def _run() -> None:
    async with devnet_worker() as (devnet, worker):
        url = devnet.devnet.esplora_url
        async with httpx.AsyncClient() as client:
            ref = []
            for _ in range(ROUNDS * 5):
                t = time.perf_counter()
                (await client.get(f"{url}/blocks/tip/hash")).raise_for_status()
                ref.append(time.perf_counter() - t)
        contexts = variants(worker.context)
        times: dict[str, list[float]] = {name: [] for name in contexts}
        bodies: dict[str, dict] = {}
        names = list(contexts)
        for i in range(ROUNDS):
            # Each variant takes each place in turn (a place after another can be slower); with tiers first, so the
            # chain is format 5 from its first document on.
            for name in names[i % 3 :] + names[: i % 3]:
                await asyncio.to_thread(devnet.devnet.tick)
                t = time.perf_counter()
                env = await take_snapshot(contexts[name])
                times[name].append(time.perf_counter() - t)
                bodies[name] = env["attestation"]
        body = bodies["tiers+contracts"]
        sources = body["reserves"]["sources"]
        wallets = sum(len(s.get("wallets") or ()) for s in sources)
        deployments = len(body["supply"]["deployments"])
        one = statistics.median(ref)
        snap = {name: statistics.median(v) for name, v in times.items()}
        member = body["tiers"]
        print(
            f"snapshot (the devnet's {wallets} named reserve wallets in {len(sources)} source(s), {deployments} "
            f"EVM deployments, {len(member['tiers'])} tiers, {len(member['contracts'])} contracts, sign, store): "
            f"median {snap['tiers+contracts'] * 1e3:.1f} ms over {ROUNDS} runs"
        )
        print(f"reference: one Esplora GET round trip: median {one * 1e3:.2f} ms")
        print(
            f"ratio: a snapshot costs {snap['tiers+contracts'] / one:.0f} round trips (all sources read concurrently)"
        )
        base = snap["no tiers"]
        print(
            f"same snapshot without tiers (reference, interleaved in this run): median {base * 1e3:.1f} ms "
            f"(middle half {spread(times['no tiers'])}), document {size(bodies['no tiers'])} bytes"
        )
        for name in ("tiers only", "tiers+contracts"):
            extra = snap[name] - base
            print(
                f"  with {name}: median {snap[name] * 1e3:.1f} ms (middle half {spread(times[name])}), "
                f"{extra * 1e3:+.1f} ms ({snap[name] / base:.3f}x), document {size(bodies[name])} bytes"
            )
        warm, cold = member_seconds(body, MEMBER_ROUNDS)
        print(
            f"tiers member alone (in-process, {len(member['contracts'])} contracts over "
            f"{body['reserves']['utxo_count']} UTXOs): median {warm * 1e6:.0f} us warm "
            f"({warm / base * 100:.3f} % of a snapshot), "
            f"{cold * 1e3:.1f} ms cold (descriptors derived, a worker's first snapshot)"
        )


def main() -> None:
    asyncio.run(_run())


if __name__ == "__main__":
    main()
