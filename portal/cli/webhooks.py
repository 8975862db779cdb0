"""`reserves webhooks ...`: manage subscriptions from the shell, over the admin API's own service.

Runs against the configured database directly (the operator's machine has the configuration and
the secrets key, like the worker); every command prints JSON. `add` and `rotate-secret` print the
secret: it is shown only then.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click

from portal.cli.common import CONFIG_OPTION, fail, load
from reserves.errors import ReservesError


def _run(config_path: Path | None, call: Callable[[Any], Awaitable[Any]]) -> None:
    from reserves.storage.db import open_database
    from reserves.storage.migrate import upgrade
    from reserves.webhooks.keys import load_webhook_keys
    from reserves.webhooks.service import WebhookService

    async def go() -> Any:
        settings = load(config_path)
        if settings.database.auto_migrate:
            await asyncio.to_thread(upgrade, settings.database.url)
        db = open_database(settings.database.url)
        try:
            service = WebhookService(db, settings.webhooks, load_webhook_keys(settings.webhooks), actor="cli")
            return await call(service)
        finally:
            await db.dispose()

    try:
        result = asyncio.run(go())
    except ReservesError as exc:
        fail(exc)
    if result is not None:
        click.echo(json.dumps(result, indent=2))


def _events(values: tuple[str, ...]) -> list[str]:
    return [e.strip() for v in values for e in v.split(",") if e.strip()]


@click.group()
def webhooks() -> None:
    """Webhook subscriptions: add, list, show, update, pause, resume, delete, rotate-secret, deliveries, redeliver."""


@webhooks.command("add")
@CONFIG_OPTION
@click.argument("url")
@click.option(
    "--event", "-e", "events", multiple=True, required=True, help="An event type (repeat, or comma-separated)."
)
@click.option("--description", default="", help="A note for operators.")
@click.option("--threshold-bp", type=int, default=None, help="For ratio.below: the ratio in basis points.")
def add(
    config_path: Path | None, url: str, events: tuple[str, ...], description: str, threshold_bp: int | None
) -> None:
    """Subscribe URL to events; prints the subscription and its secret (shown only now)."""
    _run(
        config_path,
        lambda s: s.add(url=url, events=_events(events), description=description, threshold_bp=threshold_bp),
    )


@webhooks.command("list")
@CONFIG_OPTION
def list_(config_path: Path | None) -> None:
    """Every subscription (no secrets)."""
    _run(config_path, lambda s: s.list())


@webhooks.command("show")
@CONFIG_OPTION
@click.argument("sub_id")
def show(config_path: Path | None, sub_id: str) -> None:
    """One subscription with its delivery counts."""
    _run(config_path, lambda s: s.show(sub_id))


@webhooks.command("update")
@CONFIG_OPTION
@click.argument("sub_id")
@click.option("--url", default=None)
@click.option("--event", "-e", "events", multiple=True, help="Replace the event types (repeat, or comma-separated).")
@click.option("--description", default=None)
@click.option("--threshold-bp", type=int, default=None)
@click.option("--clear-threshold", is_flag=True, help="Remove the ratio.below threshold.")
def update(
    config_path: Path | None,
    sub_id: str,
    url: str | None,
    events: tuple[str, ...],
    description: str | None,
    threshold_bp: int | None,
    clear_threshold: bool,
) -> None:
    """Change a subscription's URL, events, description or threshold."""
    from reserves.webhooks.service import Change

    change = Change(
        url=url,
        events=_events(events) or None,
        description=description,
        threshold_bp=threshold_bp,
        clear_threshold=clear_threshold,
    )
    _run(config_path, lambda s: s.update(sub_id, change))


@webhooks.command("pause")
@CONFIG_OPTION
@click.argument("sub_id")
def pause(config_path: Path | None, sub_id: str) -> None:
    """Stop delivering to SUB_ID (its events still queue)."""
    _run(config_path, lambda s: s.pause(sub_id))


@webhooks.command("resume")
@CONFIG_OPTION
@click.argument("sub_id")
def resume(config_path: Path | None, sub_id: str) -> None:
    """Deliver to SUB_ID again (also after the portal disabled it)."""
    _run(config_path, lambda s: s.resume(sub_id))


@webhooks.command("delete")
@CONFIG_OPTION
@click.argument("sub_id")
def delete(config_path: Path | None, sub_id: str) -> None:
    """Delete SUB_ID and its deliveries."""

    async def go(s: Any) -> dict[str, Any]:
        await s.delete(sub_id)
        return {"deleted": sub_id}

    _run(config_path, go)


@webhooks.command("rotate-secret")
@CONFIG_OPTION
@click.argument("sub_id")
def rotate_secret(config_path: Path | None, sub_id: str) -> None:
    """A new secret for SUB_ID (printed once); the old one also signs during the grace period."""
    _run(config_path, lambda s: s.rotate_secret(sub_id))


@webhooks.command("deliveries")
@CONFIG_OPTION
@click.argument("sub_id")
@click.option("--state", type=click.Choice(["pending", "succeeded", "dead"]), default=None)
@click.option("--before", type=click.IntRange(1, 2**53 - 1), default=None, help="Cursor: next_before of a page.")
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
def deliveries(config_path: Path | None, sub_id: str, state: str | None, before: int | None, limit: int) -> None:
    """SUB_ID's deliveries, newest first, with every attempt."""
    _run(config_path, lambda s: s.deliveries(sub_id, state=state, before=before, limit=limit))


@webhooks.command("redeliver")
@CONFIG_OPTION
@click.argument("sub_id")
@click.argument("delivery_id", type=click.IntRange(1, 2**53 - 1))
def redeliver(config_path: Path | None, sub_id: str, delivery_id: int) -> None:
    """Send delivery DELIVERY_ID of SUB_ID again now (same webhook-id)."""
    _run(config_path, lambda s: s.redeliver(sub_id, delivery_id))


@webhooks.command("keygen")
def keygen() -> None:
    """Print a new secrets key and a new Ed25519 signing key (with its public key) for [webhooks].

    Store them where `secrets_key_env`/`_file` and `signing_key_env`/`_file` point; they are not saved.
    """
    from reserves.webhooks.signing import PortalKey
    from reserves.webhooks.vault import new_key_text

    key = PortalKey.generate()
    click.echo(
        json.dumps({"secrets_key": new_key_text(), "signing_key": key.serialize(), "public_key": key.public}, indent=2)
    )
