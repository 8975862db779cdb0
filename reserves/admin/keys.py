"""The shape of an admin key: `rpk_<id>_<secret>`, its hash, names and scopes (no I/O here).

`id` is 12 lowercase hex digits, public (listed, used to find the key's row); `secret` is 32 random
bytes in base64url (43 characters). Only SHA-256 of the whole key is stored. A slow KDF (scrypt,
argon2) protects low-entropy passwords against guessing after a database leak; a 256-bit random
secret cannot be guessed, so one SHA-256 is as strong and costs microseconds per request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "rpk_"
SCOPES = ("read", "operate", "guardian", "webhooks")
LEGACY_NAME = "admin-token"  # the [admin] token, a key with every scope
SECRET_BYTES = 32
ID_PATTERN = r"^[0-9a-f]{12}$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
_KEY = re.compile(r"^rpk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_ID = re.compile(ID_PATTERN)
_NAME = re.compile(NAME_PATTERN)


@dataclass(frozen=True)
class NewKey:
    """A key as made: `key` is the whole bearer value (shown once), `hash` what is stored."""

    key_id: str
    key: str
    hash: str


def new_key() -> NewKey:
    key_id = secrets.token_hex(6)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
    return NewKey(key_id=key_id, key=key, hash=key_hash(key))


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_of(presented: str) -> str | None:
    """The id of a well-formed key, else None (nothing else is parsed from untrusted input)."""
    match = _KEY.match(presented)
    return match.group(1) if match else None


def hash_matches(presented: str, stored_hash: str) -> bool:
    """Constant-time comparison of the presented key's hash with the stored one."""
    return hmac.compare_digest(key_hash(presented).encode(), stored_hash.encode())


def is_key_id(text: str) -> bool:
    return bool(_ID.match(text))


def valid_name(name: str) -> bool:
    """1-64 of letters, digits, `.`, `_`, `-` (first a letter or digit); not an id, not the token's name."""
    return bool(_NAME.match(name)) and not is_key_id(name) and name != LEGACY_NAME


def scopes_text(scopes: frozenset[str]) -> str:
    return ",".join(s for s in SCOPES if s in scopes)


def scopes_of(text: str) -> frozenset[str]:
    return frozenset(s for s in text.split(",") if s in SCOPES)
