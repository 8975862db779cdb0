"""`reserves guardian`: list pending attestations, verify and sign one offline, submit a signature.

A guardian never signs what it has not checked: `sign` runs the full verification of the
attestation (pinned engine keys, arithmetic, chain link when `--previous` is given) with pending
allowed, and signs only when every other check holds. Signing needs no network: the signature
file can be carried to a networked machine and sent with `submit`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from portal.cli.verify import InputProblem, check_pubkeys, items_of, parse_source, trusted_keys
from reserves.hexes import is_hex64

MAX_SIGNATURE_FILE = 64 * 1024


def _post(url: str, payload: dict) -> tuple[int, dict]:
    import httpx

    try:
        resp = httpx.post(url, json=payload, timeout=20.0, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise InputProblem(f"POST {url}: {type(exc).__name__}: {exc}") from exc
    try:
        return resp.status_code, resp.json()
    except ValueError:
        return resp.status_code, {"error": {"code": "http_error", "detail": resp.text[:200]}}


@click.group()
def guardian() -> None:
    """Co-sign attestations as a guardian (M of N keys declared in [guardians])."""


@guardian.command("pending")
@click.argument("portal_url")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
def pending(portal_url: str, limit: int) -> None:
    """List the attestations of PORTAL_URL that wait for guardian signatures (JSON lines: id, sequence)."""
    url = portal_url.rstrip("/") + f"/api/v1/attestations/pending?limit={limit}"
    try:
        page = parse_source(url)
    except InputProblem as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    for env in page.get("items", []) if isinstance(page, dict) else []:
        att = env.get("attestation", {})
        click.echo(
            json.dumps(
                {
                    "id": env.get("id"),
                    "sequence": att.get("sequence"),
                    "status": att.get("status"),
                    "issued_at": att.get("issued_at"),
                }
            )
        )


@guardian.command("sign")
@click.argument("source")
@click.option(
    "--key-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The guardian's BIP-340 key file (hex, mode 0600; `reserves keys generate`).",
)
@click.option("--key-id", default=None, help="Label of the guardian key (default: derived from the key).")
@click.option(
    "--pubkey",
    "pubkeys",
    multiple=True,
    callback=check_pubkeys,
    help="Trusted engine key (64 hex); repeatable. Without it, --keys or the SOURCE server's keys.",
)
@click.option("--keys", "keys_source", default=None, help="File or URL of trusted engine keys.")
@click.option("--previous", default=None, help="File or URL of the attestation before SOURCE (checks the link).")
@click.option("--out", "out", default="-", show_default=True, help="Where to write the signature JSON.")
def sign(
    source: str,
    key_file: Path,
    key_id: str | None,
    pubkeys: tuple[str, ...],
    keys_source: str | None,
    previous: str | None,
    out: str,
) -> None:
    """Verify the attestation in SOURCE and, when it holds, sign its id with the guardian key.

    Exit 0: signed; 1: the attestation failed a check (nothing signed); 2: unusable input or key.
    """
    from reserves.attestation.keys import load_signing_key
    from reserves.attestation.members.guardians import guardian_signature
    from reserves.attestation.verify import verify_chain, verify_document
    from reserves.errors import SigningKeyError

    try:
        key = load_signing_key(path=key_file, key_id=key_id)
        trusted, note = trusted_keys(source, pubkeys, keys_source)
        items, _ = items_of(parse_source(source))
        if len(items) != 1:
            raise InputProblem(f"{source}: holds {len(items)} attestations; sign one at a time")
        chain = [*items_of(parse_source(previous))[0], items[0]] if previous else None
    except (InputProblem, SigningKeyError) as exc:
        click.echo(f"error: {getattr(exc, 'detail', exc)}", err=True)
        sys.exit(2)
    report = (
        verify_chain(chain, trusted, allow_pending=True)
        if chain
        else verify_document(items[0], trusted_keys=trusted, allow_pending=True)
    )
    if not report.ok or report.id is None:  # a report that passes has the id it checked
        for check in report.failed()[:10]:
            click.echo(f"FAIL {check.name}: {check.detail}", err=True)
        click.echo("not signed: the attestation does not verify", err=True)
        sys.exit(1)
    entry = guardian_signature(key, report.id)
    payload = {"attestation_id": report.id, "key_id": key.key_id, "pubkey": entry["pubkey"], "sig": entry["sig"]}
    text = json.dumps(payload, indent=2) + "\n"
    if out == "-":
        click.echo(text, nl=False)
    else:
        Path(out).write_text(text)
    click.echo(f"signed attestation {report.id} as {key.key_id} (keys: {note})", err=True)
    if chain is None:
        click.echo(
            "note: without --previous the status basis (level before) and the window were checked only "
            "as the attestation states them; give --previous with the attestations before it",
            err=True,
        )


def _read_at_most(name: str, limit: int) -> str:
    """The first `limit` characters of file `name` ("-": stdin), never the whole of a huge file."""
    if name == "-":
        return sys.stdin.read(limit)
    with Path(name).open(encoding="utf-8") as handle:
        return handle.read(limit)


@guardian.command("submit")
@click.argument("signature_file")
@click.argument("portal_url")
def submit(signature_file: str, portal_url: str) -> None:
    """Send a signature written by `sign` to PORTAL_URL. Exit 0: stored; 1: refused; 2: unusable input."""
    try:
        raw = _read_at_most(signature_file, MAX_SIGNATURE_FILE + 1)
        payload = json.loads(raw)
        if not isinstance(payload, dict) or not all(
            isinstance(payload.get(k), str) for k in ("attestation_id", "pubkey", "sig")
        ):
            raise InputProblem("the signature file needs string attestation_id, pubkey and sig")
        if len(raw) > MAX_SIGNATURE_FILE or not is_hex64(payload["attestation_id"]):
            raise InputProblem("the signature file is not one written by `reserves guardian sign`")
        status, body = _post(
            portal_url.rstrip("/") + f"/api/v1/attestations/{payload['attestation_id']}/signatures",
            {"pubkey": payload["pubkey"], "sig": payload["sig"]},
        )
    except (OSError, ValueError, InputProblem) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(json.dumps(body, indent=2))
    sys.exit(0 if status == 201 else 1)
