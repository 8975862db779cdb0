"""What the `reserves` commands share: the --config option, one-line errors, opening the database."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import NoReturn

import click

from portal.observe import logs
from reserves.errors import ReservesError

CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="RESERVES_CONFIG",
    help="TOML configuration (default: devnet + SQLite here).",
)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str, fmt: str = "text") -> None:
    """One format for every role (text, or one JSON object per line with `fmt="json"`), each record
    with the request id it was emitted under; the chattiest libraries kept to warnings."""
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT)
    logs.install(fmt, LOG_FORMAT)
    # httpx logs every request at INFO: one line per Esplora call drowns the useful lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # APScheduler logs every run of every job; failures still come through as warnings.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # web3 logs the provider URL (which may carry an API key) on connect/disconnect at INFO and on
    # every request at DEBUG: keep it to warnings, whatever --log-level says.
    logging.getLogger("web3").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin, each start


def load(config_path: Path | None):
    """The settings of `--config` (else $RESERVES_CONFIG, else the devnet default)."""
    from reserves.settings.load import load_settings

    return load_settings(config_path)


def fail(exc: ReservesError, code: int = 2) -> NoReturn:
    click.echo(f"error: {exc.detail}", err=True)
    sys.exit(code)
