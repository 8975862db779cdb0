"""The real portal for the end-to-end tests, as `make run` starts it: `reserves run` (devnet, worker and web,
each its own process) in its own working directory, on free ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import free_port

RESERVES = str(Path(sys.executable).parent / "reserves")


class Stack:
    """The e2e portal: started when a module first asks for it, kept while the next modules ask for it
    too, stopped before a test of another module that does not (started afresh should a later one ask).

    A running portal snapshots every 3 s, about 0.6 CPU-seconds each second: kept for the session, it
    took that from every test that ran after the e2e modules on its worker, to the end of the run.
    """

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.tmp_path_factory = tmp_path_factory
        self.running: tuple[str, Path, subprocess.Popen, float] | None = None
        self.module: Any = None  # the test module that last asked for it
        self._log: Any = None

    def get(self, module: Any) -> tuple[str, Path, subprocess.Popen, float]:
        self.module = module
        if self.running is None or self.running[2].poll() is not None:
            self.stop()
            self.running = self._start()
        return self.running

    def _start(self) -> tuple[str, Path, subprocess.Popen, float]:
        workdir = self.tmp_path_factory.mktemp("e2e")
        port = free_port()
        # The embedded default, but on free ports: its data (database, key) in the working directory.
        config = workdir / "portal.toml"
        config.write_text(
            f'data_dir = "."\n[portal]\nport = {port}\n[worker]\nport = {free_port()}\n'
            f"[devnet]\nenabled = true\nport = {free_port()}\n[schedule]\nsnapshot_interval_seconds = 3\n"
            '[signing]\nkey_file = "reserves-signing.key"\ncreate_if_missing = true\n'
        )
        self._log = open(workdir / "server.log", "w")  # noqa: SIM115 - the server writes it while it runs
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVES_")}
        proc = subprocess.Popen(
            [RESERVES, "run", "--config", str(config)],
            cwd=workdir,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return f"http://127.0.0.1:{port}", workdir, proc, time.monotonic()

    def stop(self) -> None:
        if self.running is not None:
            proc = self.running[2]
            self.running = None
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)  # reserves run stops its three roles
            try:
                proc.wait(timeout=50)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


_STACKS: list[Stack] = []


@pytest.fixture(scope="session")
def e2e_stack(tmp_path_factory) -> Iterator[Stack]:
    stack = Stack(tmp_path_factory)
    _STACKS.append(stack)
    try:
        yield stack
    finally:
        stack.stop()
        _STACKS.remove(stack)


@pytest.fixture(scope="module")
def server(request, e2e_stack):
    """(base URL, working directory, the `reserves run` process, when it started (monotonic))."""
    return e2e_stack.get(request.module)


def release_stacks(item: pytest.Item) -> None:
    """Before `item` runs (tests/conftest.py): stop the portal unless `item` uses it or is in the module
    that last did (whose module-scoped fixtures may still hold it)."""
    for stack in _STACKS:
        if "server" not in getattr(item, "fixturenames", ()) and getattr(item, "module", None) is not stack.module:
            stack.stop()


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
