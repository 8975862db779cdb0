"""The `reserves` command: serve, verify, snapshot, db and keys."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path

import click

from reserves.errors import ReservesError

CONFIG_OPTION = click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                             envvar="RESERVES_CONFIG", help="TOML configuration (default: devnet + SQLite here).")


def _settings(config_path: Path | None):
    from reserves.settings.load import load_settings

    return load_settings(config_path)


def _fail(exc: ReservesError) -> None:
    click.echo(f"error: {exc.detail}", err=True)
    sys.exit(2)


@click.group()
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
def main(log_level: str) -> None:
    """Proof-of-reserves portal."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request at INFO: one line per Esplora call drowns the useful lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # APScheduler logs every run of every job; failures still come through as warnings.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # web3 logs the provider URL (which may carry an API key) on connect/disconnect at INFO and on
    # every request at DEBUG: keep it to warnings, whatever --log-level says.
    logging.getLogger("web3").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin, each start


@main.command()
@CONFIG_OPTION
@click.option("--host", default=None, help="Bind address (default from config: 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default from config: 8000).")
def serve(config_path: Path | None, host: str | None, port: int | None) -> None:
    """Run the portal: API, dashboard and the snapshot scheduler."""
    import uvicorn

    from portal.app import create_app

    from reserves.runtime import load_engine_key

    try:
        settings = _settings(config_path)
        load_engine_key(settings)  # a missing or bad key is a clear message here, not a traceback later
        if not settings.devnet.enabled:
            # Reserve-set changes without a reason, an online key file that does not decrypt: said
            # here in one line, not as a traceback from inside the server's startup.
            asyncio.run(_preflight(settings))
    except ReservesError as exc:
        _fail(exc)
    app = create_app(settings)
    host = host or settings.portal.host
    port = port if port is not None else settings.portal.port
    where = "devnet" if settings.devnet.enabled else str(settings.config_path)
    click.echo(f"reserves portal on http://{host}:{port} ({where}, data in {settings.data_dir})", err=True)
    forwarded = settings.portal.forwarded_allow_ips
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=forwarded is not None,
                forwarded_allow_ips=forwarded)


async def _preflight(settings) -> None:
    """Start and close the runtime and the proof service once, so start-up errors surface as ReservesError."""
    from reserves.proofs.setup import build_proof_service
    from reserves.runtime import Runtime

    rt = await Runtime(settings).start()
    try:
        await asyncio.to_thread(build_proof_service, rt)
    finally:
        await rt.close()


@main.command()
@CONFIG_OPTION
def snapshot(config_path: Path | None) -> None:
    """Take one snapshot now and print its envelope."""
    from reserves.snapshot.take import take_snapshot
    from reserves.runtime import Runtime

    async def run() -> dict:
        rt = await Runtime(_settings(config_path)).start()
        try:
            return await take_snapshot(rt)
        finally:
            await rt.close()

    try:
        click.echo(json.dumps(asyncio.run(run()), indent=2))
    except ReservesError as exc:
        _fail(exc)


@main.command("point-in-time")
@CONFIG_OPTION
@click.argument("height", type=click.IntRange(0, 2**31 - 1))
def point_in_time(config_path: Path | None, height: int) -> None:
    """Print the reserves as they stood at block HEIGHT (from Esplora history; JSON, not signed)."""
    from reserves.snapshot.point_in_time import reserves_at
    from reserves.runtime import Runtime

    async def run() -> dict:
        rt = await Runtime(_settings(config_path)).start()
        try:
            return await reserves_at(rt, height)
        finally:
            await rt.close()

    try:
        result = asyncio.run(run())
    except ReservesError as exc:
        _fail(exc)
    click.echo(json.dumps(result, indent=2))
    sys.exit(0 if result["complete"] else 1)


@main.group()
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
        settings = _settings(config_path)
        upgrade(settings.database.url, revision)
        click.echo(f"{safe_url(settings.database.url)} at revision {current_revision(settings.database.url)}")
    except ReservesError as exc:
        _fail(exc)


@main.group()
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
        _fail(exc)
    click.echo(json.dumps({"path": str(path), "pubkey": key.pubkey_hex, "key_id": key.key_id}))


@main.group()
def config() -> None:
    """Configuration."""


@config.command("check")
@CONFIG_OPTION
def config_check(config_path: Path | None) -> None:
    """Validate the configuration and print what it declares."""
    try:
        s = _settings(config_path)
    except ReservesError as exc:
        _fail(exc)
    click.echo(json.dumps({
        "devnet": s.devnet.enabled, "data_dir": str(s.data_dir),
        "reserves": [f"{x.name} ({x.kind})" for x in s.reserves],
        "deployments": [f"{x.name} ({x.kind})" for x in s.deployments],
    }, indent=2))


from portal.cli.evidence import verify_evidence_command  # noqa: E402  (registered on the group below)
from portal.cli.guardian import guardian  # noqa: E402  (registered on the group below)
from portal.cli.proof import proof  # noqa: E402  (registered on the group below)
from portal.cli.verify import verify  # noqa: E402  (registered on the group below)

main.add_command(proof)
main.add_command(verify)
main.add_command(guardian)
main.add_command(verify_evidence_command)
