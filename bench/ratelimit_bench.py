"""What the rate limiter costs: a trivial Litestar app (`{"ok": true}`) under uvicorn, bare, behind the
limiter with in-process buckets, and behind it with buckets in Redis; wrk drives each in the same run.

`python -m bench.ratelimit_bench [--seconds 5] [--redis redis://127.0.0.1:6379/0]`. The budget is
far above what wrk sends (no 429), so every request pays the check and its headers, nothing more.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import replace

import httpx
from litestar import Litestar, get

from bench.web_bench import ROOT, free_port, stop, wrk
from portal.clients import ClientResolver
from portal.ratelimit.limiter import build_limiter
from portal.ratelimit.middleware import RateLimitMiddleware
from reserves.settings.load import default_settings
from reserves.settings.ratelimit import Budget

VARIANT_ENV = "RATELIMIT_BENCH_VARIANT"  # bare | local | redis
REDIS_ENV = "RATELIMIT_BENCH_REDIS"


@get("/ok", sync_to_thread=False)
def ok() -> dict:
    return {"ok": True}


def create() -> Litestar:
    """uvicorn's factory: the trivial app, wrapped as portal.app wraps the portal when asked to."""
    app = Litestar(route_handlers=[ok], openapi_config=None, logging_config=None)
    variant = os.environ.get(VARIANT_ENV, "bare")
    if variant == "bare":
        return app
    base = default_settings()
    limits = replace(base.ratelimit, api=Budget(1_000_000, 1), key_prefix=f"bench:{uuid.uuid4().hex}:")
    if variant == "redis":
        limits = replace(limits, redis_url=os.environ[REDIS_ENV])
    limiter = build_limiter(replace(base, ratelimit=limits))
    app.asgi_handler = RateLimitMiddleware(app.asgi_handler, ClientResolver(), limiter)
    return app


def start(variant: str, redis_url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, VARIANT_ENV: variant, REDIS_ENV: redis_url, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "uvicorn", "bench.ratelimit_bench:create", "--factory", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--log-level", "warning", "--no-access-log", "--no-proxy-headers"],
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(base + "/ok", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"the {variant} app did not start")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the Redis of the shared variant")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (scripts/ensure-wrk installs Debian's package)")
    rows = []
    for variant in ("bare", "local", "redis"):
        proc, base = start(variant, args.redis)
        try:
            wrk(base + "/ok", args.connections, 1)  # warm up
            rows.append((variant, wrk(base + "/ok", args.connections, args.seconds)))
        finally:
            stop(proc)
    bare = rows[0][1]["rps"]
    print(f"rate limiter cost, trivial app, 1 uvicorn worker, wrk -t2 -c{args.connections} -d{args.seconds}s")
    print(f"{'variant':<8} {'req/s':>9} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>8}")
    for name, r in rows:
        ratio = r["rps"] / bare
        print(f"{name:<8} {r['rps']:>9.0f} {ratio:>6.0%} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} {r['non_2xx']:>8}")


if __name__ == "__main__":
    main()
