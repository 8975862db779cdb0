"""Checked JSON values of an attestation body: counts, amounts, outpoints, addresses, blocks, errors."""

from __future__ import annotations

import re

from chains.hexes import is_hex64
from reserves.attestation import arithmetic as ar
from reserves.errors import InvalidInput

CODE = re.compile(r"^[a-z0-9_.:-]{1,64}$")
# bech32/bech32m (either case) or base58check characters; the schema's `address` pattern.
ADDRESS = re.compile(r"^[0-9A-HJ-NP-Za-z]{1,100}$")
MAX_DETAIL = 500
MAX_NAME = 200


def error_json(code: str | None, detail: str | None) -> dict:
    code = code if isinstance(code, str) and CODE.match(code) else "error"
    return {"code": code, "detail": (detail or "")[:MAX_DETAIL]}


def block_json(block) -> dict:
    block_hash = str(block.hash).lower()
    if not is_hex64(block_hash.removeprefix("0x")):  # Bitcoin bare, EVM 0x-prefixed
        raise InvalidInput("block hash is not 32 bytes of hex")
    return {
        "chain_id": block.chain_id,
        "height": count(block.height, "block height"),
        "block_hash": block_hash,
        "block_time": ar.format_timestamp(block.time),
    }


def txid(value: object) -> str:
    text = value.lower() if isinstance(value, str) else ""
    if not is_hex64(text):
        raise InvalidInput("txid is not 32 bytes of hex")
    return text


def vout(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise InvalidInput("vout must be an integer in 0..2**32-1")
    return value


def address(value: object) -> str:
    """The utxo's address as the adapter reports it (chains.base.Utxo.address), kept verbatim."""
    if not isinstance(value, str) or not ADDRESS.fullmatch(value):
        raise InvalidInput("utxo address is not 1-100 bech32/base58 characters")
    return value


def name(value: object, what: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_NAME:
        raise InvalidInput(f"{what} must be a string of 1-{MAX_NAME} characters")
    return value


def flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{what} must be true or false")
    return value


def count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**53 - 1:
        raise InvalidInput(f"{what} must be an integer in 0..2**53-1")
    return value


def amount(value: object, what: str) -> str:
    """A non-negative integer as the decimal string the schema accepts (at most 78 digits)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value >= 10**78:
        raise InvalidInput(f"{what} must be an integer in 0..10**78-1")
    return str(value)


def instance(cls, value):
    """`value` as a `cls`: the dataclass itself, or a plain tuple in field order (the engine's first contract)."""
    return value if isinstance(value, cls) else cls(*value)


def error_parts(exc: BaseException) -> tuple[str, str]:
    """(code, detail) of a failed read: the error's own `code`/`detail`, never str(exc) (it may hold URLs with keys)."""
    code = getattr(exc, "code", None)
    detail = getattr(exc, "detail", None)
    return (code if isinstance(code, str) else "error"), (detail if isinstance(detail, str) else type(exc).__name__)


def invalid_reading(exc: Exception) -> dict:
    """The error of an entry whose reading broke an invariant (published as failed, so the status is stale)."""
    detail = exc.detail if isinstance(exc, InvalidInput) else "malformed reading"
    return error_json("invalid_reading", detail)


def unique_names(entries: list[dict], what: str) -> None:
    """Raise InvalidInput when two entries share a name."""
    names = [e["name"] for e in entries]
    if len(set(names)) != len(names):
        raise InvalidInput(f"{what} names must be unique")
