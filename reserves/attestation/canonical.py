"""Canonical bytes (RFC 8785 / JCS) and ids of attestation bodies."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import rfc8785

from reserves.errors import InvalidInput

# The largest integer an IEEE double holds exactly; JCS writes numbers as doubles, so bigger
# integers would change value in other implementations. Amounts travel as strings instead.
MAX_SAFE_INT = 2**53 - 1

# Python's json module recurses per nesting level; refusing deep input up front turns a
# RecursionError deep inside a library into a clear InvalidInput.
MAX_DEPTH = 64


def jcs(value: Any) -> bytes:
    """Plain RFC 8785 serialisation of any JSON value (floats allowed); raises InvalidInput."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, RecursionError, TypeError, ValueError) as exc:
        raise InvalidInput(f"cannot canonicalise: {exc}") from exc


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates: not Unicode text, JCS cannot write them
        raise InvalidInput(f"{path}: string is not valid Unicode") from exc


def check_domain(value: Any, path: str = "$", depth: int = 0) -> None:
    """Raise InvalidInput for what the format never contains: floats, unsafe ints, non-string
    keys, lone surrogates, non-JSON types, nesting deeper than MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise InvalidInput(f"{path}: nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        _check_text(value, path)
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise InvalidInput(f"{path}: integer outside the JSON-safe range; amounts are decimal strings")
        return
    if isinstance(value, float):
        raise InvalidInput(f"{path}: floats are not allowed; amounts are decimal strings")
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_domain(item, f"{path}[{i}]", depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInput(f"{path}: object key {str(key)[:40]!r} is not a string")
            _check_text(key, path)
            check_domain(item, f"{path}.{key[:40]}", depth + 1)
        return
    raise InvalidInput(f"{path}: unsupported type {type(value).__name__}")


def canonical_bytes(body: dict) -> bytes:
    """RFC 8785 bytes of an attestation body.

    Stricter than plain JCS: floats, integers beyond 2**53-1, non-string keys and non-JSON types
    raise InvalidInput, so an amount can never silently pass through a double.
    """
    if not isinstance(body, dict):
        raise InvalidInput("an attestation body must be a JSON object")
    check_domain(body, "$", 0)
    return jcs(body)


def split(document: dict) -> tuple[dict, list]:
    """Split a document into (body, signatures); a missing `signatures` member gives []."""
    if not isinstance(document, dict):
        raise InvalidInput("an attestation must be a JSON object")
    body = {k: v for k, v in document.items() if k != "signatures"}
    signatures = document.get("signatures", [])
    return body, signatures


def digest(document_or_body: dict) -> bytes:
    """SHA-256 of the canonical bytes of the body (the 32 bytes every signature covers)."""
    body, _ = split(document_or_body)
    return hashlib.sha256(canonical_bytes(body)).digest()


def attestation_id(document_or_body: dict) -> str:
    """Lowercase hex SHA-256 of the canonical body; `signatures` is dropped if present."""
    return digest(document_or_body).hex()


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        # Parsers disagree on which duplicate wins; a signed document must mean one thing.
        raise ValueError("duplicate object key")
    return dict(pairs)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# Strings (with their escapes) or a bracket: enough to measure nesting without parsing.
_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
MAX_PARSE_DEPTH = 256


def nesting_depth(data: bytes) -> int:
    """Deepest bracket nesting of JSON text, brackets inside strings ignored (never recurses)."""
    depth = deepest = 0
    for m in _STRUCTURE.finditer(data):
        c = m.group()
        if c in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif c in (b"]", b"}"):
            depth -= 1
    return deepest


def parse_json(data: str | bytes | bytearray, *, max_bytes: int = 16 * 1024 * 1024) -> Any:
    """Parse JSON text strictly: no NaN/Infinity, no duplicate keys, bounded size and depth.

    The depth is measured before parsing: json.loads recurses in C up to the interpreter's
    recursion limit, and py-evm (imported with the devnet) raises that limit to 100,000, so deep
    input would overflow the C stack and kill the process instead of raising RecursionError.
    """
    if len(data) > max_bytes:
        raise InvalidInput(f"JSON text larger than {max_bytes} bytes")
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if nesting_depth(raw) > MAX_PARSE_DEPTH:
        raise InvalidInput(f"JSON nested too deeply (more than {MAX_PARSE_DEPTH} levels)")
    try:
        return json.loads(data, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except RecursionError as exc:
        raise InvalidInput("JSON nested too deeply") from exc
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"not valid JSON: {exc}") from exc


def envelope(document: dict, att_id: str | None = None) -> dict:
    """The API form `{"id": <hex id>, "attestation": <document>}`; the id is derived, never stored in it.

    `att_id`: the id already computed for this document's body (the builder's), so the engine
    does not canonicalise the body a second time; derived here when not given.
    """
    return {"id": attestation_id(document) if att_id is None else att_id, "attestation": document}
