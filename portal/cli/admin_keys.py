"""`reserves admin-keys ...`: create, list and revoke the admin API's named, scoped keys.

Runs against the configured database directly, like `reserves webhooks`. `create` prints the key
once; only its hash is stored, so a lost key is revoked and replaced, never recovered. Running
portals honour a new or revoked key within `[admin] key_cache_seconds`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click

from portal.cli.common import CONFIG_OPTION, fail, load
from reserves.admin.keys import SCOPES
from reserves.errors import ReservesError

JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _run(config_path: Path | None, call: Callable[[Any], Awaitable[Any]]) -> Any:
    from reserves.admin.service import AdminKeyService
    from reserves.storage.db import open_database
    from reserves.storage.migrate import upgrade

    async def go() -> Any:
        settings = load(config_path)
        if settings.database.auto_migrate:
            await asyncio.to_thread(upgrade, settings.database.url)
        db = open_database(settings.database.url)
        try:
            return await call(AdminKeyService(db, actor="cli"))
        finally:
            await db.dispose()

    try:
        return asyncio.run(go())
    except ReservesError as exc:
        fail(exc)


@click.group("admin-keys")
def admin_keys() -> None:
    """Admin API keys: create (the key is shown once), list, revoke."""


@admin_keys.command("create")
@CONFIG_OPTION
@click.argument("name")
@click.option(
    "--scope",
    "-s",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(SCOPES),
    help="A scope the key has (repeat): read (GET routes), operate (actions), guardian, webhooks.",
)
@JSON_OPTION
def create(config_path: Path | None, name: str, scopes: tuple[str, ...], as_json: bool) -> None:
    """Make a key named NAME; prints it once (only its hash is stored)."""
    made = _run(config_path, lambda s: s.create(name, list(dict.fromkeys(scopes))))
    if as_json:
        click.echo(json.dumps(made, indent=2))
        return
    click.echo(f"admin key {made['name']} (id {made['id']}), scopes: {', '.join(made['scopes'])}")
    click.echo("the key, shown only now (send it as 'Authorization: Bearer <key>'):")
    click.echo(made["key"])


@admin_keys.command("list")
@CONFIG_OPTION
@JSON_OPTION
def list_(config_path: Path | None, as_json: bool) -> None:
    """Every key, revoked ones too: name, id, scopes, created, last used, revoked (never a secret)."""
    keys = _run(config_path, lambda s: s.list())
    if as_json:
        click.echo(json.dumps(keys, indent=2))
        return
    header = ("NAME", "ID", "SCOPES", "CREATED", "LAST USED", "REVOKED")
    rows = [
        (k["name"], k["id"], ",".join(k["scopes"]), k["created_at"], k["last_used_at"] or "-", k["revoked_at"] or "-")
        for k in keys
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())


@admin_keys.command("revoke")
@CONFIG_OPTION
@click.argument("name_or_id")
@JSON_OPTION
def revoke(config_path: Path | None, name_or_id: str, as_json: bool) -> None:
    """Revoke the key of that name or id (running portals refuse it within [admin] key_cache_seconds)."""
    key = _run(config_path, lambda s: s.revoke(name_or_id))
    if as_json:
        click.echo(json.dumps(key, indent=2))
        return
    click.echo(f"admin key {key['name']} (id {key['id']}) revoked at {key['revoked_at']}")
