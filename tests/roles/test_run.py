"""`reserves run`: the three roles as processes of their own, one prefixed log, stopped together."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support import free_port

pytestmark = pytest.mark.e2e
RESERVES = str(Path(sys.executable).parent / "reserves")


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _role(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    return next((a for a in argv if a in ("devnet", "worker", "serve")), str(pid))


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("\nState:")[1].split("\n")[0].strip()
    except (OSError, IndexError):
        return "gone"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if os.path.exists(f"/proc/{pid}/stat") else "X"
    return state != "Z"


@pytest.fixture
def stack(tmp_path):
    web, worker, devnet = free_port(), free_port(), free_port()
    config = tmp_path / "portal.toml"
    config.write_text(
        f"[portal]\nport = {web}\n[worker]\nport = {worker}\n[devnet]\nenabled = true\nport = {devnet}\n"
        "[schedule]\nsnapshot_interval_seconds = 2\n"
        '[signing]\nkey_file = "reserves-signing.key"\ncreate_if_missing = true\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVES_")}
    log = tmp_path / "run.log"
    proc = subprocess.Popen(
        [RESERVES, "run", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        stdout=open(log, "w"),  # noqa: SIM115 - the child writes it for its whole life
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield proc, f"http://127.0.0.1:{web}", f"http://127.0.0.1:{worker}", log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        # By their config file, not as the supervisor's children: a role that outlived a killed
        # supervisor (the failure the last test looks for) has another parent by now.
        for role in _started_with(config):
            with contextlib.suppress(ProcessLookupError):
                os.kill(role, signal.SIGKILL)


def _started_with(config: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(config) in (entry / "cmdline").read_text().split("\0"):
                found.append(int(entry.name))
        except OSError:
            pass  # gone meanwhile
    return found


def wait_attested(web: str, proc, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "reserves run exited early"
        try:
            # Readiness is `ok` only with a fresh attestation and a live leading worker.
            health = httpx.get(web + "/readyz", timeout=3).json()
            if health.get("latest_sequence") is not None and health.get("status") == "ok":
                return health
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.1)
    pytest.fail("no attestation through reserves run")


def test_run_starts_three_roles_and_ctrl_c_stops_them_all(stack):
    proc, web, worker, log = stack
    health = wait_attested(web, proc)
    roles = children(proc.pid)
    assert len(roles) == 3 and health["status"] == "ok"
    assert httpx.get(worker + "/healthz", timeout=3).json()["leader"] is True
    os.kill(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    assert not [pid for pid in roles if alive(pid)]
    text = log.read_text()
    for role in ("devnet |", "worker |", "web    |"):
        assert role in text
    assert "Traceback" not in text, text[-3000:]


def test_when_one_role_dies_the_others_are_stopped_and_the_exit_code_says_so(stack):
    proc, web, _, log = stack
    wait_attested(web, proc)
    roles = children(proc.pid)
    worker = next(pid for pid in roles if " worker" in Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " "))
    os.kill(worker, signal.SIGKILL)
    assert proc.wait(timeout=60) == 1
    assert not [pid for pid in roles if alive(pid)]
    assert "worker exited with -9; stopped the others" in log.read_text()


def test_when_the_supervisor_is_killed_no_role_outlives_it(stack):
    """SIGKILL gives `reserves run` no chance to stop anything: the kernel tells each role (parent
    death signal), so none keeps running and holding its port for the next `reserves run`."""
    proc, web, _, _ = stack
    wait_attested(web, proc)
    roles = children(proc.pid)
    assert len(roles) == 3
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    names = {pid: _role(pid) for pid in roles}
    # SIGTERM: the worker may first finish a running snapshot (up to 30 s), on a machine the
    # parallel suite keeps busy.
    deadline = time.monotonic() + 90
    while [pid for pid in roles if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.5)
    left = {names[pid]: _state(pid) for pid in roles if alive(pid)}
    assert not left, f"roles still running after the supervisor's death: {left}"
    with pytest.raises(httpx.TransportError):
        httpx.get(web + "/healthz", timeout=3)


def test_a_closed_worker_ends_even_when_a_library_left_a_thread_blocked():
    """A library can leave a thread blocked for good (web3's lock did, ethereum/web3.py#3867): once the
    worker has closed, the process ends within the grace period instead of waiting for it at exit."""
    code = (
        "import threading\n"
        "from portal.cli.roles import _exit_within\n"
        "threading.Thread(target=threading.Event().wait).start()  # a non-daemon thread that never ends\n"
        "_exit_within(0.3)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=30, capture_output=True, text=True)
    assert done.returncode == 0 and "exiting without it" in done.stderr
