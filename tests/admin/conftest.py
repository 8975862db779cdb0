"""A real web role for the admin-key tests: `create_app` under uvicorn on a free port, configured by
a TOML file that the `reserves admin-keys` CLI reads too, so both share one SQLite database as an
operator's shell and a running portal do. No chain: the web role reads none.

The CLI runs as a real subprocess where it is what a test checks (`cli`); where a test only needs a
key to exist, the same command runs in this process (`create`, `admin_cli`): a subprocess there
added an interpreter start and nothing a test looked at."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from litestar import Litestar

from portal.app import create_app
from portal.cli.admin_keys import admin_keys
from reserves.settings.load import load_settings
from tests.support import ROOMY_RATELIMIT_TOML, serving

RESERVES = str(Path(sys.executable).parent / "reserves")
TOKEN = "k" * 24 + "0123456789abcdef"
CACHE_SECONDS = 1  # [admin] key_cache_seconds of the server: a revoked key is refused within it

CONFIG = f"""
data_dir = "."
{ROOMY_RATELIMIT_TOML}
[admin]
token_file = "admin.token"
key_cache_seconds = {CACHE_SECONDS}
[webhooks]
secrets_key_file = "webhooks.key"
allow_http = true
allow_private_targets = true
[[reserves]]
name = "cold"
kind = "bitcoin-esplora"
esplora_url = "http://127.0.0.1:9"
network = "regtest"
[[reserves.wallets]]
name = "w"
addresses = ["bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"]
[[deployments]]
name = "eth"
kind = "evm-erc20"
chain_id = "eip155:1337"
rpc_url = "http://127.0.0.1:9"
contract = "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599"
expected_decimals = 8
"""


@dataclass
class Portal:
    base: str
    app: Litestar
    config: Path
    port: int

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """`reserves admin-keys ARGS --config <the server's>` in its own process."""
        return subprocess.run(
            [RESERVES, "admin-keys", *args, "--config", str(self.config)],
            capture_output=True,
            text=True,
            timeout=120,
        )

    def admin_cli(self, *args: str) -> subprocess.CompletedProcess:
        """`reserves admin-keys ARGS --config <the server's>` run in this process (the same click
        command, its own asyncio loop and database engine, as in the subprocess)."""
        argv = [*args, "--config", str(self.config)]
        done = CliRunner().invoke(admin_keys, argv, catch_exceptions=False)
        return subprocess.CompletedProcess(argv, done.exit_code, done.stdout, done.stderr)

    def create(self, name: str, *scopes: str) -> str:
        """A new key made with the CLI (in this process); the key it printed."""
        args = [a for s in scopes for a in ("--scope", s)]
        done = self.admin_cli("create", name, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    def raw(self, request: bytes) -> tuple[int, bytes]:
        """Send `request` bytes as they are (no client library tidies hostile headers); status and body."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as conn:
            conn.sendall(request)
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), body


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[Portal]:
    folder = tmp_path_factory.mktemp("adminkeys")
    (folder / "admin.token").write_text(TOKEN)
    (folder / "webhooks.key").write_text(secrets.token_hex(32))
    config = folder / "portal.toml"
    config.write_text(CONFIG)
    app = create_app(load_settings(config))
    with serving(app, "adminkeys-test-server") as port:
        yield Portal(f"http://127.0.0.1:{port}", app, config, port)


def get(portal: Portal, path: str, key: str | None = None, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(portal.base + path, headers=headers, timeout=30, **kwargs)


def post(portal: Portal, path: str, key: str | None = None, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(portal.base + path, headers=headers, timeout=30, **kwargs)


def wait_until(condition, timeout: float = 60.0) -> None:
    """Poll `condition` every 50 ms up to `timeout` s (a liveness bound, not a measurement)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(0.05)
