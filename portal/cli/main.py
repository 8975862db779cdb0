"""The `reserves` command: the three roles, `run` for all of them, verification and operator tools."""

from __future__ import annotations

import os

import click

from portal.cli.admin_keys import admin_keys
from portal.cli.common import configure_logging
from portal.cli.evidence import verify_evidence_command
from portal.cli.guardian import guardian
from portal.cli.ops import config, db, keys, point_in_time, snapshot
from portal.cli.proof import proof
from portal.cli.roles import LOG_FORMAT_ENV, LOG_LEVEL_ENV, devnet, serve, worker
from portal.cli.run import die_with_supervisor, run
from portal.cli.verify import verify
from portal.cli.webhooks import webhooks
from portal.observe.logs import FORMATS


@click.group()
@click.option(
    "--log-level",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
@click.option(
    "--log-format",
    default="text",
    show_default=True,
    envvar=LOG_FORMAT_ENV,
    type=click.Choice(FORMATS, case_sensitive=False),
    help="text, or json: one JSON object per line with the request id (docs/operations.md).",
)
def main(log_level: str, log_format: str) -> None:
    """Proof-of-reserves portal."""
    die_with_supervisor()
    configure_logging(log_level, log_format.lower())
    os.environ[LOG_LEVEL_ENV] = log_level.upper()  # for the web workers uvicorn starts
    os.environ[LOG_FORMAT_ENV] = log_format.lower()


for command in (
    run,
    serve,
    worker,
    devnet,
    snapshot,
    point_in_time,
    db,
    keys,
    config,
    proof,
    verify,
    guardian,
    verify_evidence_command,
    webhooks,
    admin_keys,
):
    main.add_command(command)
