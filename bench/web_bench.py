"""Web role under load: GET /api/v1/attestations/latest and the dashboard against a trivial app.

`python -m bench.web_bench` starts the whole portal as `make run` does (`reserves run`: devnet,
worker and web in their own processes, the worker writing a snapshot every few seconds), waits for
a few attestations, then loads it with wrk. The reference, measured in the same run under the same
uvicorn settings, is a trivial Litestar app that serves the very same bytes from memory. Figures:
requests/s, p50 and p99 at 16 and 64 connections, and each endpoint's share of its reference.
`--url` loads a portal that is already running instead (how the pre-redesign one was measured).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CONNECTIONS = (16, 64)
PATHS = ("/api/v1/attestations/latest", "/")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url: str, connections: int, seconds: int) -> dict:
    """wrk's requests/s and latency percentiles (ms) for `url`."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p: str) -> float:
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": pct("50"), "p99_ms": pct("99"), "non_2xx": int(errors.group(1)) if errors else 0}


def start_stack(workdir: Path, web_workers: int) -> tuple[subprocess.Popen, str]:
    """`reserves run` on free ports in `workdir`, snapshots every 3 s; returns (process, base URL)."""
    web, worker, devnet = free_port(), free_port(), free_port()
    config = workdir / "portal.toml"
    config.write_text(
        f"[portal]\nport = {web}\n[worker]\nport = {worker}\n[devnet]\nenabled = true\nport = {devnet}\n"
        f"block_interval_seconds = 2\n[schedule]\nsnapshot_interval_seconds = 3\n"
        '[signing]\nkey_file = "reserves-signing.key"\ncreate_if_missing = true\n'
    )
    log = open(workdir / "stack.log", "w")  # noqa: SIM115 - the stack writes it while it runs
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVES_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "portal.cli",
            "--log-level",
            "WARNING",
            "run",
            "--config",
            str(config),
            "--workers",
            str(web_workers),
        ],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return proc, f"http://127.0.0.1:{web}"


def wait_for_attestations(base: str, count: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            page = httpx.get(f"{base}/api/v1/attestations", params={"limit": 50}, timeout=5).json()
            if len(page.get("items", [])) >= count:
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"fewer than {count} attestations at {base} after {timeout} s")


def start_reference(bodies: dict[str, tuple[bytes, str]], workers: int) -> tuple[subprocess.Popen, str]:
    """A trivial Litestar app serving `bodies` (path -> (bytes, content type)) from memory, in its own process."""
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="web-bench-")) / "bodies.json"
    data.write_text(json.dumps({p: [b.decode(), t] for p, (b, t) in bodies.items()}))
    env = {**os.environ, "WEB_BENCH_BODIES": str(data), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.web_reference:create",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--workers",
            str(workers),
            "--no-access-log",
        ],
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(base + "/healthz", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the reference app did not start")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=45)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def measure(base: str, reference: str, seconds: int) -> list[dict]:
    rows = []
    for connections in CONNECTIONS:
        for path in PATHS:
            ref = wrk(reference + path, connections, seconds)
            got = wrk(base + path, connections, seconds)
            rows.append(
                {
                    "path": path,
                    "connections": connections,
                    "portal": got,
                    "reference": ref,
                    "share": got["rps"] / ref["rps"],
                }
            )
    return rows


def report(rows: list[dict]) -> None:
    print(
        f"{'endpoint':<30} {'conns':>5} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'ref req/s':>9} {'p50 ms':>7} {'p99 ms':>7} | share"
    )
    for r in rows:
        g, f = r["portal"], r["reference"]
        print(
            f"{r['path']:<30} {r['connections']:>5} {g['rps']:>9.0f} {g['p50_ms']:>7.1f} {g['p99_ms']:>7.1f} | "
            f"{f['rps']:>9.0f} {f['p50_ms']:>7.1f} {f['p99_ms']:>7.1f} | {r['share']:.1%}"
            + (f"  ({g['non_2xx']} non-2xx)" if g["non_2xx"] else "")
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="load a portal that is already running at this base URL")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per measurement")
    parser.add_argument("--workers", type=int, default=1, help="web (and reference) worker processes")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (scripts/ensure-wrk installs Debian's package)")
    stack, workdir = None, Path(tempfile.mkdtemp(prefix="web-bench-stack-"))
    base = args.url
    if base is None:
        stack, base = start_stack(workdir, args.workers)
    try:
        wait_for_attestations(base, 3)
        bodies = {}
        for path in PATHS:
            r = httpx.get(base + path, timeout=10)
            bodies[path] = (r.content, r.headers["content-type"])
        ref, reference = start_reference(bodies, args.workers)
        try:
            rows = measure(base, reference, args.seconds)
        finally:
            stop(ref)
    finally:
        if stack is not None:
            stop(stack)
    print(
        f"web bench: {'running portal ' + base if args.url else 'reserves run (devnet, worker, web)'}, "
        f"{args.workers} web worker(s), wrk -t2 for {args.seconds} s each, reference served from memory"
    )
    report(rows)


if __name__ == "__main__":
    main()
