"""Standard Webhooks signatures: `v1` (HMAC-SHA256 with the subscription's secret) and `v1a` (Ed25519).

Signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the `webhook-signature` header is a
space-separated list of `<version>,<base64 signature>`, one per secret or key (a receiver accepts
when any entry matches, which is how rotation works without downtime). Secrets are
`whsec_` + base64 of 32 random bytes; the Ed25519 key is `whsk_` + base64 of its 32-byte seed and
is published as `whpk_` + base64 of its public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from reserves.webhooks.errors import SecretError

SECRET_PREFIX = "whsec_"
SECRET_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh subscription secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SecretError("not base64") from exc


def secret_bytes(secret: str) -> bytes:
    """The key bytes of a `whsec_...` secret (the prefix is optional, padding may be missing)."""
    raw = _b64(secret.removeprefix(SECRET_PREFIX))
    if not raw:
        raise SecretError("empty secret")
    return raw


def signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode() + body


def sign_v1(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(key, signed_content(msg_id, timestamp, body), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class PortalKey:
    """The portal's Ed25519 webhook key: signs `v1a`; its public half is published."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private

    @classmethod
    def generate(cls) -> PortalKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def parse(cls, text: str) -> PortalKey:
        """From `whsk_` + base64 of the 32-byte seed (or of seed||public, libsodium's 64-byte form)."""
        if not text.startswith(SECRET_KEY_PREFIX):
            raise SecretError("the webhook signing key must start with whsk_")
        raw = _b64(text.removeprefix(SECRET_KEY_PREFIX))
        if len(raw) not in (32, 64):
            raise SecretError("the webhook signing key must be 32 bytes (or 64: seed and public key)")
        key = cls(Ed25519PrivateKey.from_private_bytes(raw[:32]))
        if len(raw) == 64 and raw[32:] != key.public_bytes():
            raise SecretError("the webhook signing key's public half does not match its seed")
        return key

    def serialize(self) -> str:
        seed = self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return SECRET_KEY_PREFIX + base64.b64encode(seed).decode()

    def public_bytes(self) -> bytes:
        return self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def public(self) -> str:
        """`whpk_` + base64 of the public key: what receivers pin."""
        return PUBLIC_KEY_PREFIX + base64.b64encode(self.public_bytes()).decode()

    def sign_v1a(self, msg_id: str, timestamp: int, body: bytes) -> str:
        return "v1a," + base64.b64encode(self._private.sign(signed_content(msg_id, timestamp, body))).decode()

    def __repr__(self) -> str:
        return f"PortalKey({self.public})"


def signature_header(
    msg_id: str, timestamp: int, body: bytes, secrets_: list[bytes], portal_key: PortalKey | None
) -> str:
    """The `webhook-signature` value: one `v1` per secret (current first), then `v1a` when a key is set."""
    parts = [sign_v1(key, msg_id, timestamp, body) for key in secrets_]
    if portal_key is not None:
        parts.append(portal_key.sign_v1a(msg_id, timestamp, body))
    return " ".join(parts)


def verify_v1a(public: str, msg_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """Whether any `v1a` entry of `header` is the Ed25519 signature of `public` (`whpk_...`) over the content."""
    try:
        key = Ed25519PublicKey.from_public_bytes(_b64(public.removeprefix(PUBLIC_KEY_PREFIX)))
    except (SecretError, ValueError):
        return False
    content = signed_content(msg_id, timestamp, body)
    for entry in header.split(" "):
        version, _, sig = entry.partition(",")
        if version != "v1a":
            continue
        try:
            key.verify(_b64(sig), content)
            return True
        except (SecretError, InvalidSignature):
            continue
    return False
