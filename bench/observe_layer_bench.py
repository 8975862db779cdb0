"""What the observability layer (portal.observe.layer: request id + HTTP metrics) costs per request.

Two trivial Litestar apps answering `{"ok": true}` under the same uvicorn settings, one wrapped as
the web role wraps the portal, measured with wrk in the same run, alternately; metrics in
prometheus-client's multiprocess mode, as `reserves serve` runs them. Prints requests/s, p50, p99
and the ratio of the wrapped app to the plain one.

    .venv/bin/python -m bench.observe_layer_bench [--seconds 8] [--connections 16] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from litestar import Litestar, get

from bench.web_bench import free_port, wrk

ROOT = Path(__file__).resolve().parents[1]


@get("/", sync_to_thread=False)
def ok() -> dict:
    return {"ok": True}


def create_plain() -> Litestar:
    return Litestar(route_handlers=[ok], openapi_config=None, logging_config=None)


def create_observed() -> Litestar:
    from portal.observe.layer import ObservedApp

    app = create_plain()
    app.asgi_handler = ObservedApp(app.asgi_handler)
    return app


def start(factory: str, metrics_dir: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
    argv = [sys.executable, "-m", "uvicorn", f"bench.observe_layer_bench:{factory}", "--factory"]
    argv += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(argv, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            httpx.get(base, timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{factory} did not start")


def per_request_cost(n: int = 100_000) -> tuple[float, float]:
    """Microseconds per request of a bare ASGI app called directly, without and with the layer."""
    import asyncio

    from portal.observe.layer import ObservedApp

    async def bare(scope, receive, send) -> None:
        scope["route_handler"], scope["path_template"] = ok, "/"
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"ok":true}'})

    async def sink(message) -> None:
        return None

    async def receive() -> dict:
        return {"type": "http.request"}

    async def run(app) -> float:
        started = time.perf_counter()
        for _ in range(n):
            scope = {"type": "http", "method": "GET", "headers": [(b"host", b"x"), (b"accept", b"*/*")]}
            await app(scope, receive, sink)
        return (time.perf_counter() - started) / n * 1e6

    async def both() -> tuple[float, float]:
        observed = ObservedApp(bare)
        plain, wrapped = await run(bare), await run(observed)
        observed.recorder.flush()
        return plain, wrapped

    return asyncio.run(both())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (scripts/ensure-wrk installs Debian's package)")
    folder = tempfile.mkdtemp(prefix="observe-bench-")
    procs = {}
    try:
        for name in ("plain", "observed"):
            procs[name] = start(f"create_{name}", folder)
        wrk(procs["plain"][1], args.connections, 2)  # warm both up
        wrk(procs["observed"][1], args.connections, 2)
        runs: dict[str, list[dict]] = {"plain": [], "observed": []}
        for _ in range(args.rounds):
            for name in ("plain", "observed"):
                runs[name].append(wrk(procs[name][1], args.connections, args.seconds))
    finally:
        for proc, _ in procs.values():
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"wrk -t2 -c{args.connections}, {args.rounds} x {args.seconds} s each, one uvicorn worker per app")
    print(f"{'app':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    best = {}
    for name, rows in runs.items():
        for row in rows:
            print(f"{name:<10} {row['rps']:>9.0f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f}")
        best[name] = sum(r["rps"] for r in rows) / len(rows)
    print(f"observed / plain (mean req/s): {best['observed'] / best['plain']:.1%}")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder = tempfile.mkdtemp(prefix="observe-bench-")
    try:
        plain, wrapped = per_request_cost()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"in process, called directly: {plain:.1f} us plain, {wrapped:.1f} us with the layer")


if __name__ == "__main__":
    main()
