"""Operator commands: one snapshot now, reserves at a past height, migrations, keys, config check."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from portal.cli.common import CONFIG_OPTION, fail, load
from reserves.errors import ReservesError


async def _with_worker(settings, fn):
    """Start a worker's parts (no scheduler), run `fn(worker)`, close them."""
    from reserves.worker.worker import Worker

    worker = await Worker.start(settings, announce=False)  # one-off: no status row for the web role
    try:
        return await fn(worker)
    finally:
        await worker.close()


@click.command()
@CONFIG_OPTION
def snapshot(config_path: Path | None) -> None:
    """Take one snapshot now and print its envelope (stop the worker first on SQLite)."""
    from reserves.snapshot.take import take_snapshot

    async def run(worker) -> dict:
        return await take_snapshot(worker.context)

    try:
        click.echo(json.dumps(asyncio.run(_with_worker(load(config_path), run)), indent=2))
    except ReservesError as exc:
        fail(exc)


@click.command("point-in-time")
@CONFIG_OPTION
@click.argument("height", type=click.IntRange(0, 2**31 - 1))
def point_in_time(config_path: Path | None, height: int) -> None:
    """Print the reserves as they stood at block HEIGHT (from Esplora history; JSON, not signed)."""
    from reserves.devnet.manifest import resolve
    from reserves.snapshot.point_in_time import reserves_at
    from reserves.snapshot.sources import Sources

    async def run() -> dict:
        settings = await resolve(load(config_path))
        sources = Sources.open(settings)
        try:
            return await reserves_at(
                sources.reserve,
                height,
                timeout=settings.schedule.source_timeout_seconds,
                count_locked=settings.policy.count_locked,
            )
        finally:
            await sources.aclose()

    try:
        result = asyncio.run(run())
    except ReservesError as exc:
        fail(exc)
    click.echo(json.dumps(result, indent=2))
    sys.exit(0 if result["complete"] else 1)


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@CONFIG_OPTION
@click.option("--revision", default="head", show_default=True)
def db_upgrade(config_path: Path | None, revision: str) -> None:
    """Apply migrations up to REVISION."""
    from reserves.storage.db import safe_url
    from reserves.storage.migrate import current_revision, upgrade

    try:
        settings = load(config_path)
        upgrade(settings.database.url, revision)
        click.echo(f"{safe_url(settings.database.url)} at revision {current_revision(settings.database.url)}")
    except ReservesError as exc:
        fail(exc)


@click.group()
def keys() -> None:
    """Signing keys."""


@keys.command("generate")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def keys_generate(path: Path) -> None:
    """Write a new BIP-340 signing key to PATH (mode 0600) and print its public key."""
    from reserves.attestation.keys import generate_key_file, load_signing_key

    try:
        generate_key_file(path)
        key = load_signing_key(path=path)
    except ReservesError as exc:
        fail(exc)
    click.echo(json.dumps({"path": str(path), "pubkey": key.pubkey_hex, "key_id": key.key_id}))


@click.group()
def config() -> None:
    """Configuration."""


@config.command("check")
@CONFIG_OPTION
def config_check(config_path: Path | None) -> None:
    """Validate the configuration and print what it declares."""
    try:
        s = load(config_path)
    except ReservesError as exc:
        fail(exc)
    click.echo(
        json.dumps(
            {
                "devnet": s.devnet.enabled,
                "data_dir": str(s.data_dir),
                "reserves": [f"{x.name} ({x.kind})" for x in s.reserves],
                "deployments": [f"{x.name} ({x.kind})" for x in s.deployments],
            },
            indent=2,
        )
    )
