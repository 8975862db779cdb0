"""The three roles as commands: `serve` (web), `worker` (jobs), `devnet` (the embedded chains)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from portal.cli.common import CONFIG_OPTION, fail, load
from portal.cli.run import StopRequest
from reserves.errors import ReservesError

LOG_LEVEL_ENV = "RESERVES_LOG_LEVEL"
LOG_FORMAT_ENV = "RESERVES_LOG_FORMAT"
# prometheus_client's multiprocess mode; read once, when it is first imported (portal.observe.metrics).
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
STREAM_SHUTDOWN_SECONDS = 3


@click.command()
@CONFIG_OPTION
@click.option("--host", default=None, help="Bind address (default from config: 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default from config: 8000).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Web worker processes (each serves the API and pages from the database).",
)
def serve(config_path: Path | None, host: str | None, port: int | None, workers: int) -> None:
    """Run the web role: the API and the pages. It reads the database the worker writes."""
    import uvicorn

    with _metrics_directory():
        _serve(config_path, host, port, workers, uvicorn)


@contextmanager
def _metrics_directory() -> Iterator[str]:
    """PROMETHEUS_MULTIPROC_DIR for the web workers, set before any of them (or this process)
    imports prometheus_client: the operator's directory emptied of an earlier run's files, else a
    fresh temporary one, removed when the web role stops."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        os.makedirs(given, exist_ok=True)
        for name in os.listdir(given):
            if name.endswith(".db"):
                os.unlink(os.path.join(given, name))
        yield given
        return
    made = tempfile.mkdtemp(prefix="reserves-metrics-")
    os.environ[MULTIPROC_ENV] = made
    try:
        yield made
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(made, ignore_errors=True)


def _serve(config_path: Path | None, host: str | None, port: int | None, workers: int, uvicorn) -> None:
    from portal.head_limits import uvicorn_options

    try:
        settings = load(config_path)
        if not settings.devnet.enabled:
            # An online key file that does not decrypt, a database that cannot be migrated: said
            # here in one line, not as a traceback from inside each web worker's startup.
            asyncio.run(_preflight(settings))
    except ReservesError as exc:
        fail(exc)
    host = host or settings.portal.host
    port = port if port is not None else settings.portal.port
    if config_path is not None:
        os.environ["RESERVES_CONFIG"] = str(config_path)  # every web worker loads the same file
    where = "devnet" if settings.devnet.enabled else str(settings.config_path)
    click.echo(
        f"reserves web on http://{host}:{port} ({where}, {workers} worker(s), data in {settings.data_dir})", err=True
    )
    uvicorn.run(
        "portal.asgi:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        # The app resolves X-Forwarded-For itself, from [ratelimit] trusted_proxies (portal.clients):
        # uvicorn's own handling would trust the leftmost entry with "*", and read $FORWARDED_ALLOW_IPS.
        proxy_headers=False,
        **_uvicorn_logging(),
        # An event stream (/api/v1/events/stream) lasts up to stream_max_seconds: on shutdown give open ones
        # this long, then cancel them (their clients reconnect, with Last-Event-ID, to a live replica).
        timeout_graceful_shutdown=STREAM_SHUTDOWN_SECONDS,
        # Head timeout, header size and count (431), open connections (503): docs/api.md "Request limits".
        **uvicorn_options(settings.portal),
    )


def _uvicorn_logging() -> dict:
    """With JSON logs, uvicorn's own records (its warnings and errors) go through our handler too,
    not through the text handler uvicorn would install for its loggers."""
    return {"log_config": None} if os.environ.get(LOG_FORMAT_ENV) == "json" else {}


async def _preflight(settings) -> None:
    from portal.app import start_services

    db, _ = await start_services(settings)
    await db.dispose()


@click.command()
@CONFIG_OPTION
@click.option("--host", default=None, help="Bind address of /healthz and the worker's admin API (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Its port (default from config: 8001).")
def worker(config_path: Path | None, host: str | None, port: int | None) -> None:
    """Run the worker role: the scheduler (with leader election) and every job."""
    # One process: its metrics live in its memory, whatever the web role's environment says.
    os.environ.pop(MULTIPROC_ENV, None)
    try:
        settings = load(config_path)
        asyncio.run(
            _run_worker(settings, host or settings.worker.host, port if port is not None else settings.worker.port)
        )
    except ReservesError as exc:
        fail(exc)


async def _run_worker(settings, host: str, port: int) -> None:
    import uvicorn

    from portal.head_limits import uvicorn_options
    from portal.worker_app import create_worker_app
    from reserves.jobs.schedule import build_scheduler
    from reserves.worker.worker import Worker

    class Server(uvicorn.Server):
        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            # uvicorn would re-raise the signal once it stopped serving, while the worker still
            # closes: the handlers below only ask it to stop, and the worker closes in peace.
            yield

    worker = await Worker.start(settings)
    scheduler = build_scheduler(worker)
    scheduler.start()
    if worker.webhooks is not None:
        worker.webhooks.start()
    click.echo(f"reserves worker on http://{host}:{port} (replica {worker.leadership.identity})", err=True)
    config = uvicorn.Config(
        create_worker_app(worker),
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        **uvicorn_options(settings.portal),  # the same head and connection limits as the web role
        **_uvicorn_logging(),
    )
    server = Server(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    try:
        await server.serve()  # until SIGINT or SIGTERM
    finally:
        await scheduler.stop()  # running jobs cancelled and awaited before the database closes
        await worker.close()
        _exit_within(EXIT_GRACE_SECONDS)


# Once the worker has closed, the process must end even when a library left a thread blocked for good:
# asyncio.run waits for every executor thread (loop.shutdown_default_executor), so one stuck thread
# would leave a SIGTERMed worker running. web3's own HTTP provider did exactly that (its lock,
# ethereum/web3.py#3867; chains.evm.provider now avoids it); the grace stays for whatever is next.
EXIT_GRACE_SECONDS = 10.0
# The devnet's whole stop: the driver's step (joined up to 30 s), then its servers (about 1 s each).
DEVNET_STOP_SECONDS = 45.0


def _exit_within(seconds: float, role: str = "worker") -> None:
    """Ends the process after `seconds` unless it has ended by itself (a daemon thread's timer)."""

    def exit_now() -> None:
        # Written straight to the file descriptor: the stuck thread may hold a logging handler's lock
        # (one blocked writing to a full pipe), which would stop this thread too.
        message = f"{role}: a thread was still blocked {seconds:.0f} s after closing; exiting without it\n"
        with contextlib.suppress(OSError):
            os.write(2, message.encode())
        os._exit(0)

    timer = threading.Timer(seconds, exit_now)
    timer.daemon = True
    timer.start()


@click.command()
@CONFIG_OPTION
@click.option("--host", default=None, help="Bind address of the manifest and the chains (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port of the manifest (default from config: 8002).")
def devnet(config_path: Path | None, host: str | None, port: int | None) -> None:
    """Run the devnet role: a regtest Bitcoin chain behind Esplora and EVM chains behind JSON-RPC."""
    from dataclasses import replace

    from reserves.devnet.process import DevnetProcess

    try:
        settings = load(config_path)
    except ReservesError as exc:
        fail(exc)
    options = replace(
        settings.devnet, host=host or settings.devnet.host, port=port if port is not None else settings.devnet.port
    )
    asked = StopRequest()
    try:
        proc = DevnetProcess.start(options)
    except OSError as exc:  # its port taken: one line, as the other roles say it
        click.echo(f"ERROR: the devnet cannot listen on {options.host}:{options.port}: {exc}", err=True)
        sys.exit(1)
    click.echo(f"reserves devnet: manifest at {proc.url}/manifest", err=True)
    try:
        asked.wait()
    finally:
        # Its chains live in memory: nothing is lost by ending. A handler stuck in a chain call, or
        # the interpreter's exit joining a blocked executor thread, must not keep it (and its ports).
        _exit_within(DEVNET_STOP_SECONDS, "devnet")
        proc.stop()
