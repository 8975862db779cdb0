"""Webhook delivery throughput and latency, against a bare HTTP POST loop measured in the same run.

A burst: EVENTS outbox events (`status_changed`, written in transactions of BATCH_WRITE as the engine
writes them, the dispatcher woken after each commit) for RECEIVERS subscriptions, each on its own
port of a fast local receiver (uvicorn + httptools + uvloop, a raw ASGI app answering 200, in a
process of its own so it does not share our core). Printed: deliveries per second, the latency from
each event's `at` to the receiver getting it (under the burst, so it includes queueing, and then
for single events on an idle queue), the process's peak memory, and every delivery arriving once.

Reference: a bare httpx POST loop to the same receivers, the same body size, as many requests in
flight as the dispatcher can have (min(concurrency, subscriptions): it serves a subscription's
deliveries one after another), no database and no signing. A ThreadingHTTPServer receiver (the
tests' kind) is also loaded with that loop, to show whether the receiver or the portal limits.

Last, on a devnet and a worker: the delay from a Bitcoin block being mined (which brings the block
MIN_CONFIRMATIONS - 1 below it to the confirmation rule) to the webhook of the attestation counting
it, the snapshot taken at once by the worker's snapshot job; a scheduled snapshot adds on average
half the snapshot interval (all of it at worst).

    python -m bench.webhook_bench [--events N] [--receivers N] [--database-url SERVER] [--no-devnet]

`--database-url` is a PostgreSQL server URL: a throwaway database is made on it (SQLite otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import socket
import statistics
import tempfile
import time
import tracemalloc
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from reserves.settings.webhooks import WebhookSettings
from reserves.storage import events as events_repo
from reserves.storage.db import Database, open_database
from reserves.storage.migrate import upgrade
from reserves.webhooks.dispatcher import Dispatcher, aware
from reserves.webhooks.keys import WebhookKeys
from reserves.webhooks.service import WebhookService
from reserves.webhooks.signing import PortalKey
from reserves.webhooks.vault import Vault

EVENTS = 10_000
RECEIVERS = 10
BATCH_WRITE = 500  # events per transaction, as a busy engine might write them
IDLE_EVENTS = 30  # single events on an idle queue, for the unloaded latency
REFERENCE_MAX = 20_000  # requests of the reference loop (at most)
THREADING_REQUESTS = 5_000
DEVNET_ROUNDS = 10
DEVNET_INTERVAL = 2.0  # the devnet worker's snapshot interval here (the job refuses within half of it)
STALL_SECONDS = 60.0
SETTINGS = WebhookSettings(
    allow_private_targets=True, allow_http=True, concurrency=16, batch=50, jitter=0.0, poll_seconds=0.05
)
PAYLOAD = {"from": "healthy", "to": "warning", "reason": "ratio", "ratio_bp": 10100}


# -- receivers, each in a process of its own ---------------------------------------------------------


def _fast_receiver(ports: int, conn: Any) -> None:
    """uvicorn on `ports` listening sockets; records (path, webhook-id, time.time()) of every POST.

    GET /_count answers how many were recorded, GET /_dump all of them (and forgets them).
    """
    import uvicorn

    socks = []
    for _ in range(ports):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(2048)
        socks.append(s)
    conn.send([s.getsockname()[1] for s in socks])
    records: list[tuple[str, str, float]] = []

    async def app(scope, receive, send) -> None:
        at = time.time()
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        if scope["method"] == "POST":
            msg_id = next((v for k, v in scope["headers"] if k == b"webhook-id"), b"").decode()
            records.append((scope["path"], msg_id, at))
            body = b"ok"
        elif scope["path"] == "/_dump":
            body = json.dumps(records).encode()
            records.clear()
        else:
            body = str(len(records)).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})

    config = uvicorn.Config(app, loop="uvloop", http="httptools", lifespan="off", log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=socks)


def _threading_receiver(conn: Any) -> None:
    """The tests' kind of receiver: http.server's ThreadingHTTPServer (HTTP/1.0, a thread per request)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 2048
    conn.send([server.server_address[1]])
    server.serve_forever()


class ReceiverProcess:
    def __init__(self, target: Any, *args: Any) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self.process = ctx.Process(target=target, args=(*args, child), daemon=True)
        self.process.start()
        self.ports: list[int] = parent.recv()
        self.client = httpx.AsyncClient(timeout=30)

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.ports[i % len(self.ports)]}/r{i}"

    async def count(self) -> int:
        return int((await self.client.get(self.url(0).rsplit("/", 1)[0] + "/_count")).text)

    async def dump(self) -> list[tuple[str, str, float]]:
        return [tuple(r) for r in (await self.client.get(self.url(0).rsplit("/", 1)[0] + "/_dump")).json()]

    async def close(self) -> None:
        await self.client.aclose()
        self.process.terminate()
        self.process.join(5)


# -- the burst ---------------------------------------------------------------------------------------


@dataclass
class Result:
    expected: int
    received: int
    distinct: int
    duplicates: int
    missing: int
    seconds: float
    burst_latency: list[float]
    idle_latency: list[float]
    rss_delta_kib: int
    traced_peak: int | None
    body_size: int


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _write(db: Database, n: int) -> None:
    """`n` events in one transaction, each stamped when written (its state change)."""
    async with db.sessions() as session:
        for _ in range(n):
            await events_repo.add(
                session,
                kind="status_changed",
                at=datetime.now(timezone.utc),
                payload=PAYLOAD,
                sequence=7,
                attestation_id="a" * 64,
            )
        await session.commit()


async def _wait_for(receiver: ReceiverProcess, n: int, stall: float = STALL_SECONDS) -> None:
    """Until the receiver has `n` requests, or made no progress for `stall` seconds."""
    last, since = -1, time.monotonic()
    while True:
        got = await receiver.count()
        if got >= n:
            return
        if got != last:
            last, since = got, time.monotonic()
        elif time.monotonic() - since > stall:
            return
        await asyncio.sleep(0.05)


async def _event_times(db: Database) -> dict[int, float]:
    async with db.sessions() as session:
        rows = (await (await session.connection()).execute(text("SELECT id, at FROM engine_event"))).all()
    out = {}
    for event_id, at in rows:
        moment = aware(datetime.fromisoformat(at) if isinstance(at, str) else at)
        assert moment is not None
        out[int(event_id)] = moment.timestamp()
    return out


def _latencies(records: list[tuple[str, str, float]], times: dict[int, float]) -> list[float]:
    # webhook-id = msg_<event id>_<subscription id>
    return [at - times[int(msg_id.split("_", 2)[1])] for _, msg_id, at in records]


async def measure(
    url: str, events: int, receivers: int, receiver: ReceiverProcess, traced: bool, settings: WebhookSettings = SETTINGS
) -> Result:
    """The burst, then IDLE_EVENTS single events, through a Dispatcher on the database at `url`."""
    await asyncio.to_thread(upgrade, url)
    db = open_database(url)
    keys = WebhookKeys(Vault(os.urandom(32)), PortalKey.generate())
    service = WebhookService(db, settings, keys)
    made = [await service.add(url=receiver.url(i), events=["status.changed"]) for i in range(receivers)]
    dispatcher = Dispatcher(db, settings, keys, "bench-worker")
    expected = events * receivers
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if traced:
        tracemalloc.start()
    try:
        dispatcher.start()
        start = time.time()
        for done in range(0, events, BATCH_WRITE):
            await _write(db, min(BATCH_WRITE, events - done))
            dispatcher.wake()
        await _wait_for(receiver, expected)
        burst = await receiver.dump()
        end = max((at for _, _, at in burst), default=time.time())
        idle: list[tuple[str, str, float]] = []
        for _ in range(min(IDLE_EVENTS, events)):
            await _write(db, 1)
            dispatcher.wake()
            await _wait_for(receiver, receivers, stall=10.0)
            idle += await receiver.dump()
            await asyncio.sleep(0.02)
        traced_peak = tracemalloc.get_traced_memory()[1] if traced else None
    finally:
        if traced:
            tracemalloc.stop()
        await dispatcher.stop()
    rss_delta = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    async with db.sessions() as session:
        body = (await (await session.connection()).execute(text("SELECT body FROM webhook_delivery LIMIT 1"))).scalar()
    times = await _event_times(db)
    await db.dispose()
    ids = Counter(msg_id for _, msg_id, _ in burst)
    want = {f"msg_{e}_{m['id']}" for e in sorted(times)[:events] for m in made}
    return Result(
        expected=expected,
        received=len(burst),
        distinct=len(ids),
        duplicates=sum(n - 1 for n in ids.values()),
        missing=len(want - set(ids)),
        seconds=end - start,
        burst_latency=_latencies(burst, times),
        idle_latency=_latencies(idle, times),
        rss_delta_kib=rss_delta,
        traced_peak=traced_peak,
        body_size=len(body or ""),
    )


# -- the reference -----------------------------------------------------------------------------------


async def post_loop(urls: list[str], body: bytes, requests: int, concurrency: int) -> float:
    """A bare httpx POST loop: `concurrency` workers sharing one client; returns requests per second."""
    left = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker(w: int) -> None:
            for i in left:
                r = await client.post(
                    urls[(w + i) % len(urls)], content=body, headers={"content-type": "application/json"}
                )
                r.raise_for_status()

        t = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        return requests / (time.perf_counter() - t)


# -- block to webhook on the devnet ------------------------------------------------------------------


async def devnet_delay(rounds: int, receiver: ReceiverProcess) -> None:
    from reserves.devnet.guardians import cosign
    from reserves.devnet.process import DevnetProcess
    from reserves.jobs.snapshot import snapshot_job
    from reserves.settings.load import default_settings
    from reserves.worker.worker import Worker

    base = default_settings(Path(tempfile.mkdtemp(prefix="webhook-bench-")))
    devnet = await asyncio.to_thread(DevnetProcess.start, replace(base.devnet, enabled=True, port=0), drive=False)
    try:
        schedule = replace(base.schedule, snapshot_interval_seconds=DEVNET_INTERVAL)
        worker = await Worker.start(replace(base, devnet=replace(base.devnet, url=devnet.url), schedule=schedule))
        try:
            hooks, db = worker.webhooks, worker.db
            assert hooks is not None and db is not None and worker.context is not None and worker.status is not None
            await WebhookService(db, hooks.settings, hooks.keys).add(
                url=receiver.url(0), events=["attestation.published"]
            )
            hooks.start()

            async def after() -> None:  # as the scheduler's after_snapshot
                hooks.wake()
                if worker.devnet_guardians:
                    await cosign(db, worker.devnet_guardians)

            await receiver.dump()
            delays, stored, ticks = [], [], []
            for _ in range(rounds):
                await asyncio.sleep(DEVNET_INTERVAL / 2 + 0.1)  # the job refuses a snapshot within half the interval
                t = time.time()
                await asyncio.to_thread(devnet.devnet.tick)
                mined = time.time()
                await snapshot_job(worker.context, worker.status, worker.snapshot_lock, after)
                stored.append(time.time() - mined)
                await _wait_for(receiver, 1, stall=20.0)
                [(_, _, arrived)] = await receiver.dump()
                delays.append(arrived - mined)
                ticks.append(mined - t)
        finally:
            await worker.close()
    finally:
        await asyncio.to_thread(devnet.stop)
    median = statistics.median(delays)
    interval = base.schedule.snapshot_interval_seconds
    print(
        f"devnet, block mined -> attestation.published webhook received, snapshot taken at once by the snapshot "
        f"job ({rounds} rounds): median {median * 1e3:.0f} ms, max {max(delays) * 1e3:.0f} ms "
        f"(snapshot job, co-signing included, done after {statistics.median(stored) * 1e3:.0f} ms; "
        f"the devnet's tick itself {statistics.median(ticks) * 1e3:.0f} ms, not counted)"
    )
    print(
        "  method: t0 = the devnet's tick returned (its Bitcoin block mined, bringing the block 5 below to the "
        "default 6 confirmations), then snapshot_job with the scheduler's after-hook (dispatcher.wake(), co-signing); "
        "t1 = the receiver's clock (same host) on arrival"
    )
    print(
        f"  with a scheduled snapshot every {interval:g} s (the devnet's default; production's 60 s): "
        f"{median + interval / 2:.2f} s on average, {median + interval:.2f} s at worst "
        f"(60 s interval: {median + 30:.1f} s / {median + 60:.1f} s)"
    )


# -- main --------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> Result:
    settings = replace(SETTINGS, concurrency=args.concurrency, batch=args.batch)
    fast = ReceiverProcess(_fast_receiver, args.receivers)
    try:
        with ExitStack() as stack:
            if args.database_url:
                from tests.pg import fresh_database

                url, backend = stack.enter_context(fresh_database(args.database_url)), "postgresql"
            else:
                url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='webhook-bench-')) / 'bench.db'}"
                backend = "sqlite"
            r = await measure(url, args.events, args.receivers, fast, args.tracemalloc, settings)
        rate = r.received / r.seconds if r.seconds > 0 else float("nan")
        print(
            f"{backend}: {args.events:,} events x {args.receivers} subscriptions = {r.expected:,} deliveries "
            f"in {r.seconds:.1f} s: {rate:,.0f} deliveries/s (concurrency {settings.concurrency}, batch "
            f"{settings.batch}, poll {settings.poll_seconds:g} s, body {r.body_size} bytes)"
        )
        print(
            f"  every delivery arrived once: {r.received == r.distinct == r.expected and not r.missing} "
            f"(received {r.received:,}, distinct {r.distinct:,}, duplicates {r.duplicates}, missing {r.missing})"
        )
        print(
            f"  latency, event `at` -> receiver, under the burst (queueing included): p50 "
            f"{_pct(r.burst_latency, 0.5):.2f} s, p99 {_pct(r.burst_latency, 0.99):.2f} s"
        )
        print(
            f"  latency, single events on an idle queue ({len(r.idle_latency)} deliveries): p50 "
            f"{_pct(r.idle_latency, 0.5) * 1e3:.0f} ms, p99 {_pct(r.idle_latency, 0.99) * 1e3:.0f} ms"
        )
        traced = (
            "off (--tracemalloc; it slows the run)" if r.traced_peak is None else f"{r.traced_peak / 2**20:.1f} MiB"
        )
        print(f"  memory: ru_maxrss grew {r.rss_delta_kib / 1024:.1f} MiB over the run; tracemalloc peak {traced}")
        body = b"x" * r.body_size
        inflight = min(settings.concurrency, args.receivers)
        urls = [fast.url(i) for i in range(args.receivers)]
        n = min(r.expected, REFERENCE_MAX)
        ref = await post_loop(urls, body, n, inflight)
        print(
            f"reference: bare httpx POST loop, {n:,} requests of {r.body_size} bytes, {inflight} in flight, same "
            f"receivers: {ref:,.0f} requests/s; ratio: the dispatcher delivers at {rate / ref:.2f}x of it"
        )
        await fast.dump()
    finally:
        await fast.close()
    slow = ReceiverProcess(_threading_receiver)
    try:
        n = min(r.expected, THREADING_REQUESTS)
        threaded = await post_loop([slow.url(0)], b"x" * r.body_size, n, inflight)
        print(
            f"  receiver check: the same loop to a ThreadingHTTPServer (the tests' receiver, HTTP/1.0): "
            f"{threaded:,.0f} requests/s ({threaded / ref:.2f}x the uvicorn receiver)"
        )
    finally:
        await slow.close()
    if not args.no_devnet:
        one = ReceiverProcess(_fast_receiver, 1)
        try:
            await devnet_delay(args.devnet_rounds, one)
        finally:
            await one.close()
    return r


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.webhook_bench", description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=EVENTS)
    p.add_argument("--receivers", type=int, default=RECEIVERS)
    p.add_argument("--database-url", help="a PostgreSQL server URL (a throwaway database is made on it)")
    p.add_argument("--concurrency", type=int, default=SETTINGS.concurrency, help="subscriptions served at once")
    p.add_argument("--batch", type=int, default=SETTINGS.batch, help="deliveries per subscription per turn")
    p.add_argument("--tracemalloc", action="store_true", help="also trace allocations (slower)")
    p.add_argument("--no-devnet", action="store_true", help="skip the block-to-webhook measurement")
    p.add_argument("--devnet-rounds", type=int, default=DEVNET_ROUNDS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    asyncio.run(run(parse(argv)))


if __name__ == "__main__":
    main()
