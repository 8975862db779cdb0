"""Real portal processes on one real PostgreSQL database, reading one devnet over HTTP.

The devnet runs in this test process (its Esplora and JSON-RPC servers listen on local ports);
the portals are `reserves` subprocesses configured with a TOML file naming those URLs as
ordinary [[reserves]] and [[deployments]] sources, so every replica reads the same chains.
"""

from __future__ import annotations

import json
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
from sqlalchemy import create_engine, text

from reserves.attestation.keys import generate_key_file
from reserves.storage.db import sync_url
from tests.pg import fresh_database
from tests.support import free_port

RESERVES = str(Path(sys.executable).parent / "reserves")
ADMIN_TOKEN = "replicas-admin-token-0123456789abcdef"


def toml_value(value: Any) -> str:
    """TOML for the values a config holds: JSON strings are TOML basic strings (ASCII-escaped)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def write_config(path: Path, tables: dict[str, dict], arrays: dict[str, list[dict]]) -> Path:
    lines = []
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
        lines.append("")
    for name, entries in arrays.items():
        for entry in entries:
            lines.append(f"[[{name}]]")
            lines += [f"{k} = {toml_value(v)}" for k, v in entry.items()]
            lines.append("")
    path.write_text("\n".join(lines))
    return path


@pytest.fixture(scope="module")
def external_devnet():
    from chains.devnet.network import Devnet

    net = Devnet.start(evm_chains=3)
    try:
        yield net
    finally:
        net.stop()


@pytest.fixture
def pg_database(pg_server) -> Iterator[str]:
    with fresh_database(pg_server) as url:
        yield url


@pytest.fixture
def portal_config(tmp_path, external_devnet, pg_database):
    """A config for real portals on `pg_database` reading the external devnet; returns (path, key path)."""
    key_path = tmp_path / "engine.key"
    generate_key_file(key_path)
    token_file = tmp_path / "admin.token"
    token_file.write_text(ADMIN_TOKEN)

    def make(interval: float = 2.0, **extra_tables) -> Path:
        sources = [{"name": n, "kind": k, **m} for n, k, m in external_devnet.reserve_sources()]
        deployments = [{"name": n, "kind": k, **m} for n, k, m in external_devnet.deployment_sources()]
        tables = {
            "database": {"url": pg_database, "auto_migrate": True},
            "signing": {"key_file": str(key_path)},
            "schedule": {"snapshot_interval_seconds": interval, "source_timeout_seconds": 30},
            "replicas": {"leader_poll_seconds": 0.5, "lease_seconds": 2.0},
            "admin": {"token_file": str(token_file)},  # the web role's operator health is an admin route
            **extra_tables,
        }
        return write_config(tmp_path / "portal.toml", tables, {"reserves": sources, "deployments": deployments})

    return make, key_path


def run_snapshot(config: Path, crash_at: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVES_")}
    if crash_at:
        env["RESERVES_CRASH_AT"] = crash_at
    return subprocess.run(
        [RESERVES, "--log-level", "WARNING", "snapshot", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Portal:
    """One `reserves worker` process (or, with role="serve", a web process); `kill()` is a SIGKILL
    (no cleanup at all). `health()` is a worker's own /healthz, or the web role's operator view of
    readiness (/admin/v1/health: the leading worker and every live one)."""

    def __init__(self, config: Path, workdir: Path, name: str, role: str = "worker") -> None:
        self.port, self.role = free_port(), role
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVES_")}
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed when the process is stopped
        self.proc = subprocess.Popen(
            [RESERVES, role, "--config", str(config), "--port", str(self.port)],
            cwd=workdir,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def health(self) -> dict | None:
        try:
            if self.role == "serve":
                auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
                return httpx.get(f"{self.base}/admin/v1/health", headers=auth, timeout=3).json()
            return httpx.get(f"{self.base}/healthz", timeout=3).json()
        except (httpx.HTTPError, ValueError):
            return None

    def wait_up(self, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"{self.log_path.stem} exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}"
                )
            body = self.health()
            if body is not None and "leader" in body and "status" in body:
                return body
            time.sleep(0.1)
        pytest.fail(f"portal not up within {timeout} s: {self.log_path.read_text()[-2000:]}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


@pytest.fixture
def portals(tmp_path):
    started: list[Portal] = []

    def start(config: Path, name: str, role: str = "worker") -> Portal:
        p = Portal(config, tmp_path, name, role)
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()


def stored(url: str) -> dict[str, Any]:
    """What the database holds: attestation rows (sequence order) and counts of their dependants."""
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT sequence, id, previous, issued_at, document FROM attestation ORDER BY sequence")
            ).all()
            counts = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("ratio_point", "supply_point", "engine_event", "signing_key")
            }
            orphans = conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM ratio_point p WHERE NOT EXISTS (SELECT 1 FROM attestation a "
                    "WHERE a.id = p.attestation_id)) + (SELECT count(*) FROM supply_point s WHERE NOT EXISTS "
                    "(SELECT 1 FROM attestation a WHERE a.sequence = s.sequence)) "
                    "+ (SELECT count(*) FROM engine_event e "
                    "WHERE NOT EXISTS (SELECT 1 FROM attestation a WHERE a.id = e.attestation_id))"
                )
            ).scalar()
    finally:
        engine.dispose()
    return {"rows": rows, "counts": counts, "orphans": orphans, "documents": [json.loads(r.document) for r in rows]}


def verified_chain(url: str, key_path) -> dict[str, Any]:
    """What `stored` gives, after checking it: the chain verifies with the engine key, sequences run
    0..n without a gap, and no point or event lacks its attestation."""
    from reserves.attestation import verify_chain
    from reserves.attestation.keys import load_signing_key

    state = stored(url)
    key = load_signing_key(path=key_path)
    report = verify_chain(state["documents"], {key.pubkey_hex: "engine"})
    assert report.ok, report.failed()
    seqs = [r.sequence for r in state["rows"]]
    assert seqs == list(range(len(seqs))) and state["orphans"] == 0
    assert state["counts"]["ratio_point"] == len(seqs)
    return state
