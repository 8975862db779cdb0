"""Real anvil nodes for the benchmarks: found like tests/evm/conftest.py finds them, stopped with the stack."""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def anvil_path() -> Path:
    """$ANVIL_BIN, the npm package's native binary, or `anvil` on PATH (bench modules do not import tests)."""
    env = os.environ.get("ANVIL_BIN")
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine().lower(), platform.machine().lower())
    native = ROOT / "node_modules" / "@foundry-rs" / f"anvil-{sys.platform}-{arch}" / "bin" / "anvil"
    for candidate in (env, native, shutil.which("anvil")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise SystemExit("anvil not found: run `npm install` at the repo root (or set ANVIL_BIN)")


def start_anvil(stack: ExitStack, chain_id: int, *extra: str) -> str:
    """Start an anvil node for `chain_id` (plus `extra` arguments), stopped when `stack` closes; its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(anvil_path()), "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(chain_id), "--quiet", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stack.callback(stop_anvil, proc)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return f"http://127.0.0.1:{port}"
        time.sleep(0.05)
    raise SystemExit("anvil did not start")


def stop_anvil(proc: subprocess.Popen) -> None:
    """Terminate `proc`, killing it when it does not exit within 5 s."""
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
