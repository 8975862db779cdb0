"""`reserves verify`: check attestations offline, from a file, stdin or a URL, against pinned keys."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from reserves.hexes import is_hex64

MAX_FETCH_BYTES = 64 * 1024 * 1024


class InputProblem(Exception):
    """The input could not be read at all (exit 2), as opposed to read and found wrong (exit 1)."""


def _fetch(url: str) -> bytes:
    import httpx

    try:
        with httpx.stream(
            "GET", url, timeout=20.0, follow_redirects=False, headers={"Accept": "application/json"}
        ) as resp:
            if resp.status_code != 200:
                raise InputProblem(f"GET {url}: HTTP {resp.status_code}")
            chunks, size = [], 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > MAX_FETCH_BYTES:
                    raise InputProblem(f"GET {url}: response larger than {MAX_FETCH_BYTES} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as exc:
        raise InputProblem(f"GET {url}: {type(exc).__name__}: {exc}") from exc


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read(MAX_FETCH_BYTES + 1)
    if source.startswith(("http://", "https://")):
        return _fetch(source)
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise InputProblem(f"{source}: cannot read ({exc.strerror})") from exc


def parse_source(source: str) -> Any:
    from reserves.attestation.canonical import parse_json
    from reserves.errors import InvalidInput

    data = _read(source)
    try:
        return parse_json(data, max_bytes=MAX_FETCH_BYTES)
    except InvalidInput as exc:
        raise InputProblem(f"{source}: {exc.detail}") from exc


def _pubkey_problem(text: str) -> str | None:
    """Why `text` is not a BIP-340 x-only public key (64 hex digits), or None when it is one."""
    if is_hex64(text, any_case=True):
        return None
    shown = text if len(text) <= 80 else text[:77] + "..."
    hint = ""
    if text[:2] in ("02", "03") and is_hex64(text[2:], any_case=True):
        hint = " (a 33-byte compressed key: drop its 02/03 prefix to get the x-only key)"
    return f"{shown!r} is not a BIP-340 x-only public key: expected 64 hex digits, got {len(text)} characters{hint}"


def check_pubkeys(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """--pubkey callback: a malformed key is a usage error (exit 2), never an untrusted signer."""
    for value in values:
        problem = _pubkey_problem(value)
        if problem:
            raise click.BadParameter(problem, ctx=ctx, param=param)
    return tuple(v.lower() for v in values)


def _keys_from(value: Any, where: str) -> dict[str, str]:
    """Engine keys from a /api/v1/keys response, or a list of {pubkey, key_id}, or a list of hex strings.

    Entries of /api/v1/keys with `role` "guardian" are left out: guardians co-sign, they do not
    make attestations (pin them with --guardian).

    Every entry must be a 64-hex x-only pubkey and there must be at least one: otherwise the
    trust anchors are unusable and that is an input problem (exit 2), not a failed check.
    """
    items = value.get("keys") if isinstance(value, dict) else value
    if not isinstance(items, list):
        raise InputProblem(f'{where}: expected {{"keys": [...]}} or a list of keys')
    if not items:
        raise InputProblem(f"{where}: holds no keys")
    out: dict[str, str] = {}
    items = [i for i in items if not (isinstance(i, dict) and i.get("role") == "guardian")]
    if not items:
        raise InputProblem(f"{where}: holds only guardian keys, no engine key")
    for i, item in enumerate(items):
        if isinstance(item, str):
            pubkey, key_id = item, "pinned"
        elif isinstance(item, dict) and isinstance(item.get("pubkey"), str):
            pubkey, key_id = item["pubkey"], str(item.get("key_id") or "pinned")
        else:
            raise InputProblem(f"{where}: key entry {i} has no pubkey")
        problem = _pubkey_problem(pubkey)
        if problem:
            raise InputProblem(f"{where}: key entry {i}: {problem}")
        out[pubkey.lower()] = key_id
    return out


def items_of(value: Any) -> tuple[list[Any], bool]:
    """(attestations, is_chain) from a document, an envelope, a page {"items": [...]}, or a list."""
    if isinstance(value, dict) and isinstance(value.get("items"), list):
        return value["items"], True
    if isinstance(value, list):
        return value, True
    return [value], False


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def trusted_keys(source: str, pubkeys: tuple[str, ...], keys_source: str | None) -> tuple[dict[str, str] | None, str]:
    if pubkeys:
        return {k.lower(): "pinned" for k in pubkeys}, f"{len(pubkeys)} pinned key(s) from --pubkey"
    if keys_source:
        return _keys_from(parse_source(keys_source), keys_source), f"keys from {keys_source}"
    if source.startswith(("http://", "https://")):
        url = _origin(source) + "/api/v1/keys"
        return _keys_from(parse_source(url), url), (
            f"keys fetched from {url} (the same server: pin them with --pubkey for a check that does not trust it)"
        )
    return None, "no trusted keys given (use --pubkey HEX or --keys FILE|URL)"


@click.command()
@click.argument("source")
@click.option(
    "--pubkey",
    "pubkeys",
    multiple=True,
    callback=check_pubkeys,
    help="Trusted BIP-340 x-only public key (64 hex digits); repeatable.",
)
@click.option("--keys", "keys_source", default=None, help="File or URL of trusted keys (/api/v1/keys format).")
@click.option("--previous", "previous", default=None, help="File or URL of the attestation before SOURCE.")
@click.option("--require-signatures", default=1, show_default=True, type=click.IntRange(1, 100))
@click.option(
    "--allow-pending", is_flag=True, help="Accept attestations still waiting for their guardians' threshold (format 4)."
)
@click.option(
    "--guardian",
    "guardian_keys",
    multiple=True,
    callback=check_pubkeys,
    help="Pinned guardian key (64 hex); repeatable. Then only pinned guardians count.",
)
@click.option(
    "--guardian-threshold",
    default=None,
    type=click.IntRange(1, 32),
    help="At least this many (pinned) guardians must have signed, whatever the attestation declares.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def verify(
    source: str,
    pubkeys: tuple[str, ...],
    keys_source: str | None,
    previous: str | None,
    require_signatures: int,
    allow_pending: bool,
    guardian_keys: tuple[str, ...],
    guardian_threshold: int | None,
    as_json: bool,
) -> None:
    """Verify the attestation(s) in SOURCE (file, '-' or URL).

    SOURCE may hold one attestation (document or {id, attestation} envelope), a page of
    /api/v1/attestations, or a JSON list: lists and pages are also checked as a chain. A format 4
    attestation with guardians must carry their threshold of signatures (final) unless
    --allow-pending.
    Exit 0: all checks hold; 1: a check failed; 2: the input or the keys could not be read
    (including a --pubkey or a --keys entry that is not 64 hex digits).
    """
    from reserves.attestation.verify import verify_chain, verify_document

    try:
        trusted, keys_note = trusted_keys(source, pubkeys, keys_source)
        items, is_chain = items_of(parse_source(source))
        if previous is not None:
            items, is_chain = [*items_of(parse_source(previous))[0], *items], True
    except InputProblem as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    pins = {k: "pinned" for k in guardian_keys} or None
    if is_chain:
        report = verify_chain(
            items,
            trusted,
            require_signatures=require_signatures,
            allow_pending=allow_pending,
            guardian_pins=pins,
            guardian_threshold=guardian_threshold,
        )
    else:
        report = verify_document(
            items[0],
            trusted_keys=trusted,
            require_signatures=require_signatures,
            allow_pending=allow_pending,
            guardian_pins=pins,
            guardian_threshold=guardian_threshold,
        )
    if as_json:
        click.echo(json.dumps({**report.to_dict(), "keys": keys_note, "attestations": len(items)}, indent=2))
    else:
        click.echo(f"keys: {keys_note}")
        for check in report.checks:
            click.echo(f"  {'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
        what = f"{len(items)} attestation(s)" + (" as a chain" if is_chain else "")
        if report.ok:
            click.echo(f"OK: {what} verified; newest id {report.id}")
        else:
            reasons = "; ".join(f"{c.name}: {c.detail}" for c in report.failed()[:5])
            click.echo(f"FAILED: {what}: {reasons}", err=True)
    sys.exit(0 if report.ok else 1)
