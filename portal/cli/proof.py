"""`reserves proof`: challenge, verify, submit, sign (hot wallet) and keygen (online signer key file)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click

from reserves.errors import ReservesError

EXIT = {"valid": 0, "invalid": 1, "inconclusive": 2}
ERROR_EXIT = 3  # bad input or configuration: not a verdict on a signature
PASSPHRASE_ENV = "RESERVES_ONLINE_PASSPHRASE"
MAX_PSBT_FILE = 256 * 1024
CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="RESERVES_CONFIG",
    help="TOML configuration (default: devnet + SQLite here).",
)


def _fail(detail: str) -> None:
    click.echo(f"error: {detail}", err=True)
    sys.exit(ERROR_EXIT)


def _with_proofs(config_path: Path | None, fn: Callable[[Any], Awaitable[dict]]) -> dict:
    """Run `fn(ProofService)` on the configured database and reserve set, like `reserves snapshot` does."""
    from reserves.devnet.manifest import resolve
    from reserves.proofs.service import ProofService, reserve_wallets
    from reserves.settings.load import load_settings
    from reserves.worker.worker import prepare_database

    async def run() -> dict:
        settings = await resolve(load_settings(config_path))
        db = await prepare_database(settings)
        try:
            wallets, network = reserve_wallets(settings.reserves)
            return await fn(ProofService(db, settings, wallets, network))
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except ReservesError as exc:
        _fail(exc.detail)
        raise  # unreachable: _fail exits


def _emit_result(result: dict) -> None:
    click.echo(json.dumps(result, indent=2))
    sys.exit(EXIT.get(result.get("outcome", ""), ERROR_EXIT))


def _passphrase(env: str) -> str:
    value = os.environ.get(env, "")
    if not value.strip():
        _fail(f"set the key file passphrase in ${env}")
    return value.strip()


@click.group()
def proof() -> None:
    """Proofs of control: challenges and BIP-322 signatures."""


@proof.command("challenge")
@CONFIG_OPTION
@click.option("--address", default=None, help="Also make a to_sign PSBT for this reserve address.")
@click.option(
    "--psbt-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the PSBT (base64) here, for a hardware wallet or cosigners.",
)
def challenge(config_path: Path | None, address: str | None, psbt_out: Path | None) -> None:
    """Create an operator challenge and print it (JSON)."""
    if psbt_out is not None and address is None:
        _fail("--psbt-out needs --address")
    out = _with_proofs(config_path, lambda svc: svc.create_challenge(address=address))
    if psbt_out is not None:
        try:
            psbt_out.write_text(out["psbt"] + "\n")
        except OSError as exc:
            _fail(f"{psbt_out}: cannot write ({exc.strerror})")
    click.echo(json.dumps(out, indent=2))


@proof.command("verify")
@click.option("--address", required=True)
@click.option("--message", required=True, help="The exact message that was signed.")
@click.option("--signature", required=True, help="BIP-322 (base64, optional smp/ful/pof prefix) or BIP-137.")
@click.option("--network", default="main", show_default=True, type=click.Choice(["main", "test", "signet", "regtest"]))
def verify(address: str, message: str, signature: str, network: str) -> None:
    """Verify a signed message offline. Exit 0 valid, 1 invalid, 2 inconclusive; JSON on stdout."""
    from reserves.proofs.library import verify_offline

    _emit_result(verify_offline(address, message, signature, network))


def _read_psbt(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_PSBT_FILE:
            _fail(f"{path}: larger than {MAX_PSBT_FILE} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        _fail(f"{path}: cannot read ({exc.strerror})")
    if raw.startswith(b"psbt\xff"):  # a binary PSBT, as some wallets save it
        return base64.b64encode(raw).decode()
    try:
        return raw.decode("ascii").strip()
    except UnicodeDecodeError:
        _fail(f"{path}: neither a binary nor a base64 PSBT")
        raise


@proof.command("submit")
@CONFIG_OPTION
@click.option("--challenge", "challenge_id", required=True)
@click.option("--address", required=True)
@click.option("--signature", default=None)
@click.option(
    "--psbt",
    "psbt_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The to_sign PSBT signed by the address's key(s).",
)
def submit(
    config_path: Path | None, challenge_id: str, address: str, signature: str | None, psbt_file: Path | None
) -> None:
    """Submit a proof; the result is stored and printed. Exit 0 valid, 1 invalid, 2 inconclusive."""
    if (signature is None) == (psbt_file is None):
        _fail("give exactly one of --signature or --psbt")
    psbt = _read_psbt(psbt_file) if psbt_file is not None else None
    _emit_result(
        _with_proofs(
            config_path,
            lambda svc: svc.submit(
                challenge_id=challenge_id, address=address, signature=signature, psbt=psbt, source="cli"
            ),
        )
    )


@proof.command("sign")
@CONFIG_OPTION
@click.option("--challenge", "challenge_id", required=True)
@click.option("--address", required=True)
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Encrypted key file (as made by `reserves proof keygen`).",
)
@click.option("--passphrase-env", default=PASSPHRASE_ENV, show_default=True)
def sign(config_path: Path | None, challenge_id: str, address: str, key_file: Path, passphrase_env: str) -> None:
    """Sign a challenge with a hot wallet's key file and submit the signature."""
    passphrase = _passphrase(passphrase_env)
    _emit_result(
        _with_proofs(
            config_path,
            lambda svc: svc.sign_and_submit(
                challenge_id=challenge_id, address=address, key_file=key_file, passphrase=passphrase
            ),
        )
    )


@proof.command("keygen")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--network", default="main", show_default=True, type=click.Choice(["main", "test", "signet", "regtest"]))
@click.option("--type", "kind", default="wpkh", show_default=True, type=click.Choice(["wpkh", "tr"]))
@click.option("--passphrase-env", default=PASSPHRASE_ENV, show_default=True)
def keygen(out: Path, network: str, kind: str, passphrase_env: str) -> None:
    """Create an encrypted key file (mode 0600, never overwritten) and print its address."""
    from reserves.proofs.keyfile import write_key_file
    from reserves.proofs.online import new_key_entry

    passphrase = _passphrase(passphrase_env)
    try:
        entry = new_key_entry(network, kind)
        write_key_file(out, [entry], passphrase)
    except ReservesError as exc:
        _fail(exc.detail)
    click.echo(json.dumps({"path": str(out), "address": entry.address, "network": network, "type": kind}))
