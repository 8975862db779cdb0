"""Web role under a crowd: the hot GET endpoints against a trivial app on the same machine, same run.

`python -m bench.web_bench` starts the portal as it runs in production: `reserves run` with the
devnet, the worker writing a snapshot every 3 s during the whole measurement, and the web role with
`--workers` processes, on PostgreSQL (a throwaway database on `--database-url`, default the local
server; `--database-url sqlite` for the embedded default). The reference is a trivial Litestar app
under the same uvicorn settings, in its own processes: `{"ok": true}`, and the very bytes each
portal endpoint answered, served from memory. wrk (Debian's package) loads each at 16, 64 and 256
connections and the table gives requests/s, p50 and p99, and each endpoint's share of the trivial
endpoint and of the same bytes from memory. Every layer of production runs: security headers, request
ids and metrics, request limits and the rate limiter (in-process, or in Redis with `--redis-url`),
with budgets no single load generator reaches. `--url` loads a portal that is already running instead.
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
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CONNECTIONS = (16, 64, 256)
TRIVIAL = "/ok"
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url: str, connections: int, seconds: int, headers: tuple[str, ...] = ()) -> dict:
    """wrk's requests/s and latency percentiles (ms) for `url`."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *[a for h in headers for a in ("-H", h)], url],
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


# The rate limiter runs as in production, counting every request, with budgets no load of one client
# reaches (wrk is one client): its cost is measured, its refusals are not.
RATELIMIT = "".join(
    f"{name} = {{ requests = 1000000, window_seconds = 1 }}\n"
    for name in ("api", "static", "pages", "expensive", "signatures", "admin", "admin_failures", "challenges")
)


def start_stack(
    workdir: Path, web_workers: int, database_url: str | None, redis_url: str | None = None
) -> tuple[subprocess.Popen, str]:
    """`reserves run` on free ports in `workdir`, snapshots every 3 s; returns (process, base URL)."""
    web, worker, devnet = free_port(), free_port(), free_port()
    config = workdir / "portal.toml"
    database = f'[database]\nurl = "{database_url}"\n' if database_url else ""
    redis = f'redis_url = "{redis_url}"\n' if redis_url else ""
    config.write_text(
        database
        + "[ratelimit]\n"
        + redis
        + RATELIMIT
        + "challenges_all = { requests = 1000000, window_seconds = 1, reserve = 0 }\n"
        + f"[portal]\nport = {web}\n[worker]\nport = {worker}\n[devnet]\nenabled = true\nport = {devnet}\n"
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


def wait_for_final(base: str, timeout: float = 120.0) -> str:
    """The id of the newest final attestation (its guardians have signed: its ETag holds), once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = httpx.get(f"{base}/api/v1/attestations/latest", params={"final": "true"}, timeout=5)
            if r.status_code == 200:
                return r.json()["id"]
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"no final attestation at {base} after {timeout} s")


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


def endpoints(base: str, settled: str | None = None) -> list[dict]:
    """What is measured: (label, portal path, request headers, reference path serving the same bytes).

    `settled`: an attestation whose guardians have signed, whose ETag therefore holds during the run
    (default: the oldest of the newest five, which a run that waited for five attestations has).
    """
    if settled is None:
        settled = httpx.get(f"{base}/api/v1/attestations", params={"limit": 5}, timeout=10).json()["items"][-1]["id"]
    etag = httpx.get(f"{base}/api/v1/attestations/{settled}", timeout=10).headers["etag"]
    return [
        {"label": "latest", "path": "/api/v1/attestations/latest", "headers": (), "ref": "/same/latest"},
        {"label": "summary", "path": "/api/v1/summary", "headers": (), "ref": "/same/summary"},
        {"label": "dashboard /", "path": "/", "headers": (), "ref": "/same/dashboard"},
        {"label": "attestation by id", "path": f"/api/v1/attestations/{settled}", "headers": (), "ref": "/same/by-id"},
        {
            "label": "304 revalidation",
            "path": f"/api/v1/attestations/{settled}",
            "headers": (f"If-None-Match: {etag}",),
            "ref": None,
        },
    ]


def reference_bodies(base: str, rows: list[dict]) -> dict[str, tuple[bytes, str]]:
    bodies = {TRIVIAL: (b'{"ok":true}', "application/json")}
    for row in rows:
        if row["ref"]:
            r = httpx.get(base + row["path"], timeout=10, headers={"Accept-Encoding": "identity"})
            bodies[row["ref"]] = (r.content, r.headers["content-type"])
    return bodies


def measure(base: str, reference: str, rows: list[dict], seconds: int) -> list[dict]:
    out = []
    for connections in CONNECTIONS:
        trivial = wrk(reference + TRIVIAL, connections, seconds)
        out.append({"label": "trivial {ok: true}", "connections": connections, "portal": trivial, "trivial": trivial})
        for row in rows:
            same = wrk(reference + row["ref"], connections, seconds) if row["ref"] else None
            got = wrk(base + row["path"], connections, seconds, row["headers"])
            out.append(
                {"label": row["label"], "connections": connections, "portal": got, "trivial": trivial, "same": same}
            )
    return out


def report(rows: list[dict]) -> None:
    print(
        f"{'endpoint':<22} {'conns':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} | {'of trivial':>10} | "
        f"{'same bytes req/s':>16} {'p99 ms':>7} {'share':>6}"
    )
    for r in rows:
        g, same = r["portal"], r.get("same")
        tail = f"{same['rps']:>16.0f} {same['p99_ms']:>7.1f} {g['rps'] / same['rps']:>6.0%}" if same else ""
        print(
            f"{r['label']:<22} {r['connections']:>5} {g['rps']:>8.0f} {g['p50_ms']:>7.1f} {g['p99_ms']:>7.1f} | "
            f"{g['rps'] / r['trivial']['rps']:>10.0%} | {tail}"
            + (f"  ({g['non_2xx']} non-2xx)" if g["non_2xx"] else "")
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="load a portal that is already running at this base URL")
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per measurement")
    parser.add_argument("--workers", type=int, default=2, help="web (and reference) worker processes")
    parser.add_argument("--redis-url", help="share the rate limits through this Redis (in-process otherwise)")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE,
        help="a PostgreSQL server (a throwaway database is made on it), or `sqlite` for the embedded default",
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (scripts/ensure-wrk installs Debian's package)")
    with ExitStack() as stack:
        base, backend = args.url, "running portal"
        if base is None:
            database = None
            if args.database_url != "sqlite":
                from tests.pg import fresh_database

                database = stack.enter_context(fresh_database(args.database_url))
            workdir = Path(tempfile.mkdtemp(prefix="web-bench-stack-"))
            proc, base = start_stack(workdir, args.workers, database, args.redis_url)
            stack.callback(stop, proc)
            backend = ("PostgreSQL" if database else "SQLite") + (", rate limits in Redis" if args.redis_url else "")
        wait_for_attestations(base, 5)
        rows = endpoints(base)
        ref, reference = start_reference(reference_bodies(base, rows), args.workers)
        stack.callback(stop, ref)
        measured = measure(base, reference, rows, args.seconds)
    print(
        f"web bench: reserves run (devnet, worker writing every 3 s, web) on {backend}, {args.workers} web worker(s) "
        f"and as many reference workers, wrk -t2 for {args.seconds} s each"
    )
    report(measured)


if __name__ == "__main__":
    main()
