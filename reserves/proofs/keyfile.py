"""The online signer's key file: keys encrypted with AES-256-GCM under a scrypt-derived key.

File (JSON): {"format", "kdf": {"name": "scrypt", "n", "r", "p", "salt"}, "cipher":
{"name": "aes-256-gcm", "nonce"}, "ciphertext"} with base64 fields. The header is the GCM
associated data, so a changed KDF parameter fails authentication like a wrong passphrase.
Plaintext: {"keys": [{"address", "network", "secret": 32-byte hex}]}. The secrets exist only in
this file and in memory; never in the database, logs or responses.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from reserves.proofs.errors import KeyFileError

FORMAT = "reserves-online-signer/1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MAX_SCRYPT_N = 2**20  # a hostile file must not make loading take minutes or gigabytes
# scrypt needs 128*n*r bytes and time in proportion to n*r*p: bounded together, not only one by one.
MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
MAX_SCRYPT_WORK = 2**23  # n*r*p; the default is 2**18
MAX_FILE_BYTES = 1024 * 1024
MAX_KEYS = 1000
MIN_PASSPHRASE = 12


@dataclass(frozen=True)
class KeyEntry:
    address: str
    network: str
    secret: bytes = b""

    def __repr__(self) -> str:  # never print the secret, even by accident in a traceback
        return f"KeyEntry(address={self.address!r}, network={self.network!r})"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or len(value) > 2 * MAX_FILE_BYTES:
        raise KeyFileError(f"key file: {what} is not base64")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFileError(f"key file: {what} is not base64") from exc


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _header(kdf: dict, nonce: bytes) -> dict:
    return {"format": FORMAT, "kdf": kdf, "cipher": {"name": "aes-256-gcm", "nonce": _b64(nonce)}}


def _aad(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


def encrypt_keys(entries: list[KeyEntry], passphrase: str, *, n: int = SCRYPT_N) -> bytes:
    """The key file's bytes for `entries` under `passphrase`."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyFileError(f"passphrase: at least {MIN_PASSPHRASE} characters")
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    kdf = {"name": "scrypt", "n": n, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)}
    header = _header(kdf, nonce)
    plain = json.dumps(
        {"keys": [{"address": e.address, "network": e.network, "secret": e.secret.hex()} for e in entries]}
    ).encode()
    ciphertext = AESGCM(_derive(passphrase, salt, n, SCRYPT_R, SCRYPT_P)).encrypt(nonce, plain, _aad(header))
    return json.dumps({**header, "ciphertext": _b64(ciphertext)}, indent=1).encode()


def write_key_file(path: Path, entries: list[KeyEntry], passphrase: str) -> None:
    """Create `path` (mode 0600); refuses to overwrite an existing file (it may hold the only copy of a key)."""
    data = encrypt_keys(entries, passphrase)
    write_secret_file(path, data)


def write_secret_file(path: Path, data: bytes) -> None:
    """Create `path` with mode 0600 from the start (never readable by others, not even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyFileError(f"{path} already exists; not overwritten") from exc
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot create ({exc.strerror})") from exc
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def read_key_file(path: Path, passphrase: str) -> list[KeyEntry]:
    """The entries of the key file at `path`; KeyFileError for anything wrong, never the secret in it."""
    try:
        raw = path.read_bytes() if path.stat().st_size <= MAX_FILE_BYTES else None
    except OSError as exc:
        raise KeyFileError(f"key file {path}: cannot read ({exc.strerror})") from exc
    if raw is None:
        raise KeyFileError(f"key file {path}: larger than {MAX_FILE_BYTES} bytes")
    return decrypt_keys(raw, passphrase, str(path))


def decrypt_keys(raw: bytes, passphrase: str, where: str = "key file") -> list[KeyEntry]:
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise KeyFileError(f"{where}: not JSON") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise KeyFileError(f"{where}: not a {FORMAT} key file")
    kdf, cipher = doc.get("kdf"), doc.get("cipher")
    if (
        not isinstance(kdf, dict)
        or kdf.get("name") != "scrypt"
        or not isinstance(cipher, dict)
        or cipher.get("name") != "aes-256-gcm"
    ):
        raise KeyFileError(f"{where}: unsupported kdf or cipher (scrypt and aes-256-gcm)")
    n, r, p = kdf.get("n"), kdf.get("r"), kdf.get("p")
    if (
        not (_is_int(n) and _is_int(r) and _is_int(p))
        or not (2 <= n <= MAX_SCRYPT_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16)
        or 128 * n * r > MAX_SCRYPT_MEMORY
        or n * r * p > MAX_SCRYPT_WORK
    ):
        raise KeyFileError(f"{where}: scrypt parameters out of range")
    salt, nonce = _unb64(kdf.get("salt"), "salt"), _unb64(cipher.get("nonce"), "nonce")
    if len(nonce) != 12 or not 8 <= len(salt) <= 64:
        raise KeyFileError(f"{where}: bad nonce or salt length")
    header = _header({"name": "scrypt", "n": n, "r": r, "p": p, "salt": kdf["salt"]}, nonce)
    try:
        plain = AESGCM(_derive(passphrase, salt, n, r, p)).decrypt(
            nonce, _unb64(doc.get("ciphertext"), "ciphertext"), _aad(header)
        )
    except (InvalidTag, ValueError, MemoryError) as exc:
        raise KeyFileError(f"{where}: wrong passphrase or damaged file") from exc
    return _entries(plain, where)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _entries(plain: bytes, where: str) -> list[KeyEntry]:
    try:
        keys = json.loads(plain)["keys"]
        if not isinstance(keys, list) or len(keys) > MAX_KEYS:
            raise ValueError
        out = []
        for k in keys:
            secret = bytes.fromhex(k["secret"])
            if len(secret) != 32 or not isinstance(k["address"], str) or not isinstance(k["network"], str):
                raise ValueError
            out.append(KeyEntry(k["address"], k["network"], secret))
        return out
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"{where}: decrypted content is not a key list") from exc
