"""The real portal for the end-to-end tests, as `make run` starts it: `reserves run` (devnet, worker and web,
each its own process) in its own working directory, on free ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support import free_port

RESERVES = str(Path(sys.executable).parent / "reserves")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("e2e")
    port = free_port()
    # The embedded default, but on free ports: its data (database, key) in the working directory.
    config = workdir / "portal.toml"
    config.write_text(
        f'data_dir = "."\n[portal]\nport = {port}\n[worker]\nport = {free_port()}\n'
        f"[devnet]\nenabled = true\nport = {free_port()}\n[schedule]\nsnapshot_interval_seconds = 3\n"
        '[signing]\nkey_file = "reserves-signing.key"\ncreate_if_missing = true\n'
    )
    log = open(workdir / "server.log", "w")  # noqa: SIM115 - the server writes it for the whole session
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVES_")}
    proc = subprocess.Popen(
        [RESERVES, "run", "--config", str(config)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        yield base, workdir, proc, started
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # reserves run stops its three roles
        try:
            proc.wait(timeout=50)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def wait_for(base: str, proc, count: int, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}")
        pause = 0.5  # this server keeps the default rate limits, which every test of the session shares
        try:
            r = httpx.get(f"{base}/api/v1/attestations", params={"limit": 500}, timeout=5)
            if r.status_code == 429:  # wait as told, so the next test's requests are not refused too
                pause = min(float(r.headers.get("retry-after", "1")), 10.0)
            else:
                page = r.json()
                if len(page.get("items", [])) >= count:
                    return page
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(pause)
    pytest.fail(f"fewer than {count} attestations after {timeout} s")


def verify(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([RESERVES, "verify", *args], capture_output=True, text=True, timeout=60)
