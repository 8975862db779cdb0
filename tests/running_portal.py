"""A real portal for tests over real sockets: `reserves run` (devnet, worker, web under uvicorn) in its
own working directory, on free ports, with an admin token, until its first attestation is served."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import ROOMY_RATELIMIT_TOML, free_port

RESERVES = str(Path(sys.executable).parent / "reserves")
ADMIN_TOKEN = "t" * 40
TOKEN_ENV = "TEST_PORTAL_ADMIN_TOKEN"


@dataclass(frozen=True)
class RunningPortal:
    base: str
    port: int
    log_path: Path


@contextmanager
def running_portal(workdir: Path, portal_toml: str = "", timeout: float = 120) -> Iterator[RunningPortal]:
    """`portal_toml`: extra lines of the [portal] table (limits, for instance).

    A snapshot every 30 s: its users (the API fuzzer, the hostile requests) need an attestation to
    serve, not a stream of them, and at 3 s the worker's snapshots (and the devnet reads they make)
    took about 0.6 CPU-seconds each second from the checks running beside them on the same cores.
    """
    port = free_port()
    config = workdir / "portal.toml"
    config.write_text(
        f'data_dir = "."\n[portal]\nport = {port}\n{portal_toml}\n'
        f'[admin]\ntoken_env = "{TOKEN_ENV}"\n[worker]\nport = {free_port()}\n'
        f"[devnet]\nenabled = true\nport = {free_port()}\n[schedule]\nsnapshot_interval_seconds = 30\n"
        '[signing]\nkey_file = "reserves-signing.key"\ncreate_if_missing = true\n' + ROOMY_RATELIMIT_TOML
    )
    log_path = workdir / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVES_")} | {TOKEN_ENV: ADMIN_TOKEN}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [RESERVES, "run", "--config", str(config)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for_an_attestation(base, proc, log_path, timeout)
            yield RunningPortal(base, port, log_path)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=50)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _wait_for_an_attestation(base: str, proc: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the portal exited with {proc.returncode}: {log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/api/v1/attestations/latest", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"no attestation within {timeout} s: {log_path.read_text()[-3000:]}")
        time.sleep(0.1)
