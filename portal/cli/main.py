"""The `reserves` command: the three roles, `run` for all of them, verification and operator tools."""

from __future__ import annotations

import importlib
import os

import click

from portal.cli.common import configure_logging
from portal.cli.roles import LOG_FORMAT_ENV, LOG_LEVEL_ENV
from portal.cli.run import die_with_supervisor
from portal.observe.logs import FORMATS

# Each command's "module:attribute", imported when it runs (or when --help lists it): a process
# loads its own command's module only, not, say, verify-evidence's SPV and storage stack (half a
# second that every role's start and every command would pay).
COMMANDS = {
    "run": "portal.cli.run:run",
    "serve": "portal.cli.roles:serve",
    "worker": "portal.cli.roles:worker",
    "devnet": "portal.cli.roles:devnet",
    "snapshot": "portal.cli.ops:snapshot",
    "point-in-time": "portal.cli.ops:point_in_time",
    "db": "portal.cli.ops:db",
    "keys": "portal.cli.ops:keys",
    "config": "portal.cli.ops:config",
    "proof": "portal.cli.proof:proof",
    "verify": "portal.cli.verify:verify",
    "guardian": "portal.cli.guardian:guardian",
    "verify-evidence": "portal.cli.evidence:verify_evidence_command",
    "webhooks": "portal.cli.webhooks:webhooks",
    "admin-keys": "portal.cli.admin_keys:admin_keys",
}


class CommandTable(click.Group):
    """A group whose commands are imported by name, on first use, from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, _, attribute = COMMANDS[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=CommandTable)
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
