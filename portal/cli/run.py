"""`reserves run`: every role in its own process, one readable log, all stopped together.

The devnet (when `[devnet] enabled`), the worker and the web role are started as child processes
of this one; each line they print is prefixed with the role's name. Ctrl-C (or SIGTERM) stops all
three; when one of them exits on its own, the others are stopped too and the exit code says so.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

from portal.cli.common import CONFIG_OPTION, fail, load
from reserves.errors import ReservesError

STOP_SECONDS = 40  # the worker waits up to 30 s for a running snapshot
SUPERVISOR_ENV = "RESERVES_SUPERVISOR_PID"
_PR_SET_PDEATHSIG = 1


def die_with_supervisor() -> None:
    """In a role started by `reserves run`: ask the kernel for SIGTERM when the supervisor dies,
    even by SIGKILL, so no role outlives it holding its port (Linux; elsewhere a no-op)."""
    supervisor = os.environ.pop(SUPERVISOR_ENV, None)  # popped: the web's own workers have another parent
    if supervisor is None or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        return
    if str(os.getppid()) != supervisor:  # it died before the request took effect
        sys.exit(1)


class StopRequest:
    """A stop signal (SIGINT, SIGTERM by default) noted in a plain attribute and waited for by polling.

    A handler that calls `threading.Event.set()` can deadlock: it runs in the main thread, which may
    hold that event's (non-reentrant) lock at that very moment, inside `Event.wait`."""

    def __init__(self, *signals: signal.Signals) -> None:
        self.asked = False
        for sig in signals or (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._note)

    def _note(self, *_: object) -> None:
        self.asked = True

    def wait(self, timeout: float | None = None, poll: float = 0.1) -> bool:
        """True once a stop was asked for; False when `timeout` seconds passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.asked:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(poll)
        return True


def _pump(name: str, stream, lock: threading.Lock) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        with lock:
            sys.stderr.write(f"{name:<6} | {line}\n")
            sys.stderr.flush()


def _start(name: str, args: list[str], lock: threading.Lock) -> subprocess.Popen:
    # A session of its own: Ctrl-C reaches this process only, which stops each role once, in order
    # (a second SIGINT would make uvicorn abandon its graceful shutdown).
    proc = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", *args],
        env={**os.environ, SUPERVISOR_ENV: str(os.getpid())},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    threading.Thread(target=_pump, args=(name, proc.stdout, lock), daemon=True, name=f"log-{name}").start()
    return proc


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + STOP_SECONDS
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@click.command()
@CONFIG_OPTION
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Web worker processes.")
@click.pass_context
def run(ctx: click.Context, config_path: Path | None, workers: int) -> None:
    """Run the devnet (when enabled), the worker and the web role together until Ctrl-C."""
    try:
        settings = load(config_path)
    except ReservesError as exc:
        fail(exc)
    level = ctx.parent.params.get("log_level", "INFO") if ctx.parent else "INFO"
    fmt = ctx.parent.params.get("log_format", "text") if ctx.parent else "text"
    common = ["--log-level", level, "--log-format", fmt]
    config = ["--config", str(config_path)] if config_path is not None else []
    roles = ([("devnet", [*common, "devnet", *config])] if settings.devnet.enabled else []) + [
        ("worker", [*common, "worker", *config]),
        ("web", [*common, "serve", *config, "--workers", str(workers)]),
    ]
    lock = threading.Lock()
    stopping = StopRequest(signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    procs = {name: _start(name, args, lock) for name, args in roles}
    click.echo(
        f"reserves: {', '.join(procs)} started; the portal is at "
        f"http://{settings.portal.host}:{settings.portal.port} (Ctrl-C stops all)",
        err=True,
    )
    failed = None
    while not stopping.wait(0.5):
        failed = next((name for name, p in procs.items() if p.poll() is not None), None)
        if failed is not None:
            break
    _stop(procs)
    if failed is not None:
        click.echo(f"reserves: {failed} exited with {procs[failed].returncode}; stopped the others", err=True)
        sys.exit(1)
