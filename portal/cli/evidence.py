"""`reserves verify-evidence FILE`: check an SPV evidence bundle offline (exit 0 valid, 1 invalid, 2 unusable)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from reserves.evidence.service import NETWORKS, verify_bundle
from reserves.hexes import is_hex64

# A bundle of 50,000 headers is about 8 MB of JSON; anything far larger is not one.
MAX_FILE_BYTES = 16 * 1024 * 1024


def _load(source: str) -> Any:
    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            with Path(source).open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise click.UsageError(f"{source}: cannot read ({exc.strerror})") from exc
    if len(data) > MAX_FILE_BYTES:
        raise click.UsageError(f"{source}: larger than {MAX_FILE_BYTES} bytes")
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise click.UsageError(f"{source}: not JSON") from exc


@click.command("verify-evidence")
@click.argument("source", metavar="FILE")
@click.option("--tip", "tip", default=None, help="attested tip block hash (default: the file's tip.hash)")
@click.option(
    "--network", type=click.Choice(sorted(NETWORKS)), default=None, help="Bitcoin network (default: the file's network)"
)
def verify_evidence_command(source: str, tip: str | None, network: str | None) -> None:
    """Verify FILE (an /api/v1/evidence answer, or a bare bundle; - for stdin) against a tip hash.

    Prints the result as JSON. Pin --tip to the block hash of an attestation you verified (and whose
    block your own node has in its best chain); without it the file's own tip is used and the output
    says so.
    """
    document = _load(source)
    envelope = document if isinstance(document, dict) and "bundle" in document else {}
    bundle = envelope.get("bundle", document)
    tip_source = "argument" if tip else "file"
    if tip is None:
        tip = (envelope.get("tip") or {}).get("hash") if isinstance(envelope.get("tip"), dict) else None
    network = network or envelope.get("network")
    if not isinstance(tip, str) or not is_hex64(tip.lower()):
        raise click.UsageError("no tip block hash: pass --tip (64 hex digits)")
    if network not in NETWORKS:
        raise click.UsageError("no network: pass --network")
    valid, result = verify_bundle(bundle, tip.lower(), network)
    click.echo(json.dumps({**result, "network": network, "tip_source": tip_source}, indent=2))
    sys.exit(0 if valid else 1)
