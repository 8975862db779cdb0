"""Subscription secrets encrypted at rest: AES-256-GCM under the operator's key, bound to the subscription.

A stored secret is `v1.<key id>.<base64url(nonce || ciphertext)>`; the associated data is the
subscription id, so a ciphertext copied to another subscription does not decrypt. The key id (the
first 8 hex digits of SHA-256 of the key) tells a wrong key apart from a tampered value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reserves.errors import ConfigError
from reserves.hexes import is_hex64
from reserves.webhooks.errors import SecretError


def parse_key(text: str, where: str = "webhooks.secrets_key") -> bytes:
    """32 bytes from 64 hex characters or base64; anything else is a ConfigError naming `where`."""
    text = text.strip()
    if is_hex64(text, any_case=True):
        return bytes.fromhex(text)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ConfigError(f"{where}: 32 bytes as 64 hex characters or base64")
    return raw


def new_key_text() -> str:
    return os.urandom(32).hex()


class Vault:
    """Encrypts and decrypts subscription secrets with one key."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(key).hexdigest()[:8]

    def seal(self, subscription_id: str, secret: str) -> str:
        nonce = os.urandom(12)
        blob = nonce + self._aead.encrypt(nonce, secret.encode(), subscription_id.encode())
        return f"v1.{self.key_id}.{base64.urlsafe_b64encode(blob).decode()}"

    def open(self, subscription_id: str, sealed: str) -> str:
        version, _, rest = sealed.partition(".")
        key_id, _, blob_text = rest.partition(".")
        if version != "v1" or not blob_text:
            raise SecretError("a stored webhook secret is not in the v1 format")
        if key_id != self.key_id:
            raise SecretError(
                f"a stored webhook secret was sealed under key {key_id}, not the configured {self.key_id}"
            )
        try:
            blob = base64.urlsafe_b64decode(blob_text)
            return self._aead.decrypt(blob[:12], blob[12:], subscription_id.encode()).decode()
        except (binascii.Error, ValueError, InvalidTag) as exc:
            raise SecretError("a stored webhook secret does not decrypt (tampered, or another subscription's)") from exc

    def __repr__(self) -> str:
        return f"Vault(key {self.key_id})"
