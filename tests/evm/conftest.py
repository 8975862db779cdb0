"""EVM test fixtures: devnet chains over real HTTP, a real anvil from npm, and how to find anvil.

Where anvil comes from: `npm install` at the repo root installs `@foundry-rs/anvil` (pinned 1.7.1).
Its npm package is only a node wrapper (`node_modules/.bin/anvil` -> `bin.mjs`); the native binary
ships in the platform package `node_modules/@foundry-rs/anvil-<os>-<arch>/bin/anvil` (npm installs
the matching optional dependency). `anvil_binary()` prefers, in order: `$ANVIL_BIN`, that native
binary (no node process in between, so signals reach anvil itself), the `.bin` wrapper, and an
`anvil` on PATH. Under CI=true a missing anvil fails the anvil tests; locally they skip.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chains.devnet.evm import DevnetEvm
from chains.devnet.http import StopServer, serve_in_thread
from tests.support import free_port, require

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"


def serve(app: Any) -> tuple[str, StopServer]:
    """Serve an ASGI app over real HTTP on a free local port; returns (base_url, stop)."""
    return serve_in_thread(app, host="127.0.0.1", port=0)


def anvil_binary() -> Path | None:
    """Path of an anvil executable (see the module docstring for the search order), or None."""
    env = os.environ.get("ANVIL_BIN")
    if env:
        return Path(env) if Path(env).is_file() else None
    system = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, sys.platform)
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    exe = "anvil.exe" if system == "win32" else "anvil"
    candidates = [
        NODE_MODULES / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / exe,
        NODE_MODULES / ".bin" / "anvil",
    ]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    found = shutil.which("anvil")
    return Path(found) if found else None


@pytest.fixture
def devnet_evm() -> Iterator[tuple[DevnetEvm, str]]:
    """A fresh devnet chain (eip155:31337, finalized = latest - 4) with a deployed token, served."""
    chain = DevnetEvm(31337, finalized_depth=4, safe_depth=2)
    chain.deploy()
    url, stop = serve(chain.app)
    try:
        yield chain, url
    finally:
        stop(wait=False)  # it winds down while the next test runs


ANVIL_CHAIN_ID = 31339
# Two slots per epoch: anvil's `finalized` is latest - 4 and `safe` latest - 2 (default: 64 / 32).
ANVIL_SLOTS_PER_EPOCH = 2


@pytest.fixture(scope="session")
def anvil() -> Iterator[str]:
    """URL of a real anvil node started for this session (chain id 31339)."""
    binary = anvil_binary()
    require(binary is not None, "anvil not found: run `npm install` at the repo root (or set ANVIL_BIN)")
    port = free_port()
    args = [
        str(binary),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--chain-id",
        str(ANVIL_CHAIN_ID),
        "--slots-in-an-epoch",
        str(ANVIL_SLOTS_PER_EPOCH),
        "--quiet",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_for_port(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            pytest.fail(f"anvil exited with {proc.returncode}: {err[-500:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail("anvil did not open its port within 15 s")
