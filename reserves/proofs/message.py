"""The challenge message: what a signer commits to, one `name: value` per line, no free text but the nonce."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from chains.hexes import HEX32
from reserves.errors import InvalidInput

HEADER = "Proof of control of Bitcoin reserves"
FORMAT = "reserves-challenge/1"
MAX_NONCE = 128
# Printable ASCII and no line break: a nonce can never forge another line of the message.
_NONCE = re.compile(r"^[\x20-\x7e]{1,128}$")


@dataclass(frozen=True)
class Anchor:
    """The reserve set and the recent block a challenge binds to (from the newest attestation)."""

    reserve_set_version: int
    reserve_set_hash: str
    chain_id: str
    height: int
    block_hash: str
    block_time: datetime


def check_nonce(nonce: object) -> str:
    """The caller's nonce: 1-128 printable ASCII characters (no line breaks); InvalidInput otherwise."""
    if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
        raise InvalidInput(f"nonce: 1-{MAX_NONCE} printable ASCII characters (space to '~'), no line breaks")
    return nonce


def check_challenge_id(value: object) -> str:
    if not isinstance(value, str) or not HEX32.fullmatch(value):
        raise InvalidInput("challenge_id: 32 lowercase hex characters, as returned when the challenge was made")
    return value


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def challenge_message(
    *,
    domain: str,
    challenge_id: str,
    purpose: str,
    anchor: Anchor,
    created_at: datetime,
    expires_at: datetime,
    nonce: str | None = None,
) -> str:
    """The exact text to sign (lines joined by "\\n", no trailing newline).

    The domain stops a signature made for another portal from being replayed here; the block
    hash proves the signature was made after that block; the reserve-set line ties the proof to
    the declaration it speaks for; the challenge id makes each round's message unique.
    """
    lines = [
        HEADER,
        f"format: {FORMAT}",
        f"domain: {domain}",
        f"purpose: {purpose}",
        f"challenge: {challenge_id}",
        f"reserve-set: version {anchor.reserve_set_version} sha256 {anchor.reserve_set_hash}",
        f"block: {anchor.chain_id} height {anchor.height} hash {anchor.block_hash}",
        f"issued: {iso(created_at)}",
        f"expires: {iso(expires_at)}",
    ]
    if nonce is not None:
        lines.append(f"nonce: {check_nonce(nonce)}")
    return "\n".join(lines)
