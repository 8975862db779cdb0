"""Base58 (Bitcoin alphabet) as Solana writes public keys and hashes; no checksum."""

from __future__ import annotations

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
# A 32-byte value is at most 44 characters; refuse longer input before doing big-int work on it.
_MAX_CHARS = 64


def b58encode(data: bytes) -> str:
    """Base58 text of `data`; each leading zero byte becomes one leading '1'."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(ALPHABET[rest])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes | None:
    """The bytes of base58 `text`, or None when it is empty, too long or not base58."""
    if not isinstance(text, str) or not 0 < len(text) <= _MAX_CHARS:
        return None
    number = 0
    for char in text:
        digit = _INDEX.get(char)
        if digit is None:
            return None
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * zeros + body


def decode32(text: object) -> bytes | None:
    """The 32 bytes of a base58 public key or hash, or None when `text` is not exactly that.

    Also None for non-canonical text (one that does not re-encode to itself), so that one key
    has one spelling.
    """
    if not isinstance(text, str):
        return None
    raw = b58decode(text)
    if raw is None or len(raw) != 32 or b58encode(raw) != text:
        return None
    return raw
