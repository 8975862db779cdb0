"""compose.yaml, honestly tested without a container engine: the file parses, the configuration it mounts
loads with our settings loader, and every service's command starts here as it would in its container
(PostgreSQL instead of TimescaleDB, the same Caddyfile in front of two local web replicas).

The one thing changed for a local run is where things are: the mounted TOML gets local addresses,
ports and directories (each change below must match exactly once, so an edit of the file shows here);
commands, roles, worker counts, the proxy's configuration and the environment are compose.yaml's own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx
import pytest
import yaml

from reserves.settings.load import load_settings
from tests.observe.test_app_observability import metric
from tests.pg import fresh_database
from tests.support import free_port, require

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
OURS = {name: s for name, s in SERVICES.items() if s.get("build") == "."}
BIN = Path(sys.executable).parent


def test_compose_runs_the_production_shape():
    assert set(SERVICES) == {"db", "redis", "migrate", "devnet", "worker", "web-1", "web-2", "proxy"}
    assert SERVICES["db"]["image"].startswith("timescale/timescaledb:")
    for name, s in SERVICES.items():
        assert s["restart"] == ("no" if name == "migrate" else "unless-stopped"), name
        assert name == "migrate" or "healthcheck" in s, name
    for name in ("web-1", "web-2"):
        web = SERVICES[name]
        assert web["command"] == ["reserves", "serve", "--workers", "2"] and "ports" not in web
        assert "/readyz" in " ".join(web["healthcheck"]["test"])
    assert "/healthz" in " ".join(SERVICES["worker"]["healthcheck"]["test"])
    proxy = SERVICES["proxy"]
    assert proxy["ports"] == ["127.0.0.1:8000:80"]  # the one published port
    mounted = {v.split(":")[0]: v.split(":")[1] for v in proxy["volumes"]}
    assert (ROOT / mounted["./deploy/Caddyfile"].replace("/etc/caddy/Caddyfile", "deploy/Caddyfile")).exists()
    # The web replicas trust X-Forwarded-For from the proxy's fixed address, and from nothing else.
    config = tomllib.loads((ROOT / "examples" / "compose.toml").read_text())
    assert config["ratelimit"]["trusted_proxies"] == [proxy["networks"]["portal"]["ipv4_address"]]
    assert config["ratelimit"]["redis_url"] == "redis://redis:6379/0" and "redis" in SERVICES
    # Every service of our image runs one of our commands with the mounted configuration.
    for name, s in OURS.items():
        assert s["command"][0] == "reserves", name
        assert s["environment"]["RESERVES_CONFIG"] == "/app/examples/compose.toml"
        assert s["environment"]["RESERVES_LOG_FORMAT"] == "json"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY examples ./examples" in dockerfile and "WORKDIR /app" in dockerfile
    # The image's own check is liveness: restarting a portal because its data is stale fixes nothing.
    assert re.search(r"^HEALTHCHECK .*\n.*8000/healthz", dockerfile, flags=re.M)


def test_the_mounted_configuration_loads():
    env = OURS["worker"]["environment"]
    settings = load_settings(ROOT / "examples" / "compose.toml", env=env)
    assert settings.database.url == env["RESERVES_DATABASE_URL"] and not settings.database.auto_migrate
    assert settings.devnet.enabled and settings.portal.host == "0.0.0.0"


def localized(tmp: Path, *, web: int, worker: int, devnet: int) -> str:
    """examples/compose.toml with local addresses, ports and directories."""
    text = (ROOT / "examples" / "compose.toml").read_text()
    changes = [
        (r'^data_dir = "/data"$', f'data_dir = "{tmp}"'),
        (r'^\[portal\]\nhost = "0\.0\.0\.0"$', f'[portal]\nhost = "127.0.0.1"\nport = {web}'),
        (r'^trusted_proxies = \["172\.28\.0\.10"\]$', 'trusted_proxies = ["127.0.0.1"]'),
        (r'^redis_url = "redis://redis:6379/0"$', 'redis_url = "redis://127.0.0.1:6379/0"'),
        (r'^\[worker\]\nhost = "0\.0\.0\.0"$', f'[worker]\nhost = "127.0.0.1"\nport = {worker}'),
        (r'^key_file = "/data/reserves-signing\.key"$', f'key_file = "{tmp}/reserves-signing.key"'),
        (r'^host = "0\.0\.0\.0" .*# the devnet container.*$', f'host = "127.0.0.1"\nport = {devnet}'),
        (r'^advertise_host = "devnet" .*$', 'advertise_host = "127.0.0.1"'),
        (r'^url = "http://devnet:8002" .*$', f'url = "http://127.0.0.1:{devnet}"'),
        (r'^key_dir = "/webhook-keys"$', f'key_dir = "{tmp}/webhook-keys"'),
    ]
    for pattern, local in changes:
        text, n = re.subn(pattern, local, text, flags=re.M)
        assert n == 1, f"examples/compose.toml changed: {pattern!r} matched {n} times"
    return text


class Stack:
    def __init__(self, tmp: Path, db_url: str) -> None:
        self.tmp, self.procs, self.logs = tmp, {}, {}
        self.ports = {name: free_port() for name in ("web-1", "web-2", "worker", "devnet", "proxy")}
        self.configs = {}
        for name in ("web-1", "web-2"):
            path = tmp / f"{name}.toml"
            path.write_text(
                localized(tmp, web=self.ports[name], worker=self.ports["worker"], devnet=self.ports["devnet"])
            )
            self.configs[name] = path
        self.configs["worker"] = self.configs["devnet"] = self.configs["migrate"] = self.configs["web-1"]
        self.db_url = db_url

    def env(self, name: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("RESERVES_", "PROMETHEUS_"))}
        return {
            **base,
            **OURS[name]["environment"],
            "RESERVES_CONFIG": str(self.configs[name]),
            "RESERVES_DATABASE_URL": self.db_url,
        }

    def argv(self, name: str) -> list[str]:
        command = list(OURS[name]["command"])
        return [str(BIN / command[0]), *command[1:]]

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.logs[name] = self.tmp / f"{name}.log"
        self.procs[name] = subprocess.Popen(
            argv,
            cwd=self.tmp,
            env=env,
            stdout=open(self.logs[name], "w"),  # noqa: SIM115 - the child writes it for its whole life
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def wait(self, url: str, timeout: float = 120, ok=lambda r: r.status_code == 200) -> httpx.Response:
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                assert proc.poll() is None, f"{name} exited: {self.logs[name].read_text()[-3000:]}"
            try:
                r = last = httpx.get(url, timeout=3)
                if ok(r):
                    return r
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        tails = {n: p.read_text()[-1500:] for n, p in self.logs.items()}
        seen = None if last is None else (last.status_code, last.text[:500])
        pytest.fail(f"{url} not ready within {timeout} s (last answer {seen}): {tails}")

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, pg_server):
    require(shutil.which("caddy") is not None, "caddy (scripts/ensure-caddy) for the proxy of compose.yaml")
    tmp = tmp_path_factory.mktemp("compose")
    with fresh_database(pg_server) as db_url:
        s = Stack(tmp, db_url)
        try:
            # As compose starts them: the devnet while the migration runs (nothing orders the two).
            migrate = subprocess.Popen(
                s.argv("migrate"), cwd=tmp, env=s.env("migrate"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            try:
                s.start("devnet", s.argv("devnet"), s.env("devnet"))
                s.wait(s.url("devnet") + "/healthz")
                out = migrate.communicate(timeout=120)[0].decode()
            finally:
                if migrate.poll() is None:
                    migrate.kill()
                    migrate.wait()
            assert migrate.returncode == 0, out
            s.start("worker", s.argv("worker"), s.env("worker"))
            for name in ("web-1", "web-2"):
                s.start(name, s.argv(name), s.env(name))
            caddy_env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("RESERVES_")},
                "LISTEN": f"127.0.0.1:{s.ports['proxy']}",
                "WEB_1": f"127.0.0.1:{s.ports['web-1']}",
                "WEB_2": f"127.0.0.1:{s.ports['web-2']}",
                "XDG_DATA_HOME": str(tmp / "caddy-data"),
                "XDG_CONFIG_HOME": str(tmp / "caddy-config"),
            }
            caddyfile = ROOT / "deploy" / "Caddyfile"
            s.start("proxy", ["caddy", "run", "--adapter", "caddyfile", "--config", str(caddyfile)], caddy_env)
            for name in ("web-1", "web-2", "proxy"):
                s.wait(s.url(name) + "/readyz", ok=lambda r: r.status_code == 200 and r.json()["status"] == "ok")
            yield s
        finally:
            s.stop()


def test_through_the_proxy_ready_with_request_ids_and_no_public_metrics(stack):
    r = httpx.get(stack.url("proxy") + "/readyz", timeout=5)
    body = r.json()
    assert r.status_code == 200 and body["status"] == "ok" and body["reasons"] == []
    assert body["latest_sequence"] is not None and "replica" not in body
    # The proxy starts the request id (a UUID) and the portal echoes it.
    assert re.fullmatch(r"[0-9a-f-]{36}", r.headers["x-request-id"])
    for internal in ("/metrics", "/metrics/", "/metrics%2F", "/admin", "/admin/v1/health", "/admin/v1/health/"):
        assert httpx.get(stack.url("proxy") + internal, timeout=5).status_code == 404
    assert httpx.get(stack.url("web-1") + "/metrics", timeout=5).status_code == 200  # on the inside
    for name in ("web-1", "web-2"):
        assert httpx.get(stack.url(name) + "/readyz", timeout=5).json()["status"] == "ok"


def _multiproc_files(pid: int) -> list[str]:
    """The files in the metrics directory `reserves serve` gave its uvicorn worker processes (their
    environment has it: they were started after the CLI set it)."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    for child in out.split():
        environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        found = [e.split(b"=", 1)[1].decode() for e in environ if e.startswith(b"PROMETHEUS_MULTIPROC_DIR=")]
        if found:
            return os.listdir(found[0])
    pytest.fail("no web worker process has PROMETHEUS_MULTIPROC_DIR")


def test_a_replica_sums_the_metrics_of_its_worker_processes(stack):
    web = stack.url("web-1")
    route = dict(method="GET", route="/api/v1/keys", status="200")
    sent = 0
    # Until both uvicorn worker processes served some (each writes its own counter file).
    while sent < 400:
        for _ in range(20):
            assert httpx.get(web + "/api/v1/keys", timeout=5).status_code == 200  # a new connection each
        sent += 20
        if len([f for f in _multiproc_files(stack.procs["web-1"].pid) if f.startswith("counter_")]) >= 2:
            break
    assert len([f for f in _multiproc_files(stack.procs["web-1"].pid) if f.startswith("counter_")]) >= 2
    # Each process writes its requests within FLUSH_SECONDS (1 s); the scraped one at once.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if metric(httpx.get(web + "/metrics", timeout=5).text, "reserves_http_requests_total", **route) == sent:
            break
        time.sleep(0.3)
    for _ in range(4):  # whichever process answers the scrape, it counts every process's requests
        assert metric(httpx.get(web + "/metrics", timeout=5).text, "reserves_http_requests_total", **route) == sent


def test_attestation_figures_match_the_api(stack):
    for _ in range(10):  # an attestation may land between the two reads: read again
        summary = httpx.get(stack.url("proxy") + "/api/v1/summary", timeout=5).json()
        text = httpx.get(stack.url("web-2") + "/metrics", timeout=5).text
        if metric(text, "reserves_attestation_sequence") == summary["sequence"]:
            break
    else:
        pytest.fail("no scrape saw the summary's attestation")
    assert metric(text, "reserves_status", status=summary["status"]) == 1
    assert metric(text, "reserves_reserves_sat") == int(summary["reserves_sat"])
    assert metric(text, "reserves_database_up") == 1


def test_the_worker_counts_its_snapshots(stack):
    text = httpx.get(stack.url("worker") + "/metrics", timeout=5).text
    count = metric(text, "reserves_snapshot_duration_seconds_count")
    assert count is not None and count >= 1
    assert "# TYPE reserves_snapshot_failures_total counter" in text
    assert "# TYPE reserves_webhook_deliveries_total counter" in text


def test_every_role_logs_json_lines(stack):
    for name in ("worker", "web-1"):
        lines = [line for line in stack.logs[name].read_text().splitlines() if line.startswith("{")]
        records = [json.loads(line) for line in lines]
        assert name == "web-1" or records, f"{name} logged no JSON line"
        for record in records:
            assert {"time", "level", "logger", "message"} <= set(record)
    # Nothing but JSON records and the one line the CLI prints on start.
    worker_lines = stack.logs["worker"].read_text().splitlines()
    assert all(line.startswith("{") or line.startswith("reserves worker on ") for line in worker_lines if line)


def test_the_alert_rules_name_only_series_the_portal_exports(stack):
    """deploy/alerts.yml (docs/operations.md): every reserves_* series and label it uses exists."""
    rules = yaml.safe_load((ROOT / "deploy" / "alerts.yml").read_text())["groups"][0]["rules"]
    assert {"ReservesStale", "ReservesUnder100Percent", "ReservesSnapshotFailures"} <= {r["alert"] for r in rules}
    exported = httpx.get(stack.url("web-1") + "/metrics", timeout=5).text
    exported += httpx.get(stack.url("worker") + "/metrics", timeout=5).text
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", exported, flags=re.M))
    for rule in rules:
        for name in re.findall(r"\breserves_[a-z_]+\b", rule["expr"]):
            family = re.sub(r"_(bucket|count|sum)$", "", name) if name not in types else name
            assert family in types or family.removesuffix("_total") in types, (rule["alert"], name)
        sampled = [n for n in re.findall(r"\breserves_[a-z_]+\b", rule["expr"]) if re.search(f"^{n}{{", exported, re.M)]
        for label in re.findall(r"\b(status|route|result)\s*[!=]~?", rule["expr"]):
            # A label is checked on the series that have samples here (no webhook was delivered).
            assert not sampled or f"{label}=" in exported, (rule["alert"], label)
