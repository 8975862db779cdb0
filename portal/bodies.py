"""What a JSON request body must be before any decoder sees it: JSON by its Content-Type, UTF-8,
nested at most MAX_DEPTH deep, no duplicate keys, and integers only (no `2.0`, no `1e2`).

The depth check is one linear scan with early exit, so a body of 60,000 brackets costs
microseconds and never reaches a recursive decoder (RecursionError, a 500 and a traceback).
"""

from __future__ import annotations

import json
import re
from typing import Any

# Our deepest legitimate body is 3 levels (an object holding a list of strings); 64 leaves room
# for any future document and is far below where a recursive decoder gets near its limit.
MAX_DEPTH = 64

# A string token (to skip its content, escapes included; an unterminated one runs to the end)
# or a bracket. Linear: the two string alternatives never match the same byte.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
_OPEN = frozenset(b"[{")


class BodyRefused(Exception):
    """A body refused before decoding: the HTTP status, our error code and a detail."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def is_json_media_type(content_type: bytes | None) -> bool:
    """`application/json`, optionally with `charset=utf-8` (any case, any spaces); nothing else."""
    if content_type is None:
        return False
    media, _, params = content_type.decode("latin-1").partition(";")
    if media.strip().lower() != "application/json":
        return False
    params = params.strip()
    if not params:
        return True
    name, _, value = params.partition("=")
    return name.strip().lower() == "charset" and value.strip().strip('"').lower() in ("utf-8", "utf8")


def nesting_exceeds(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """True when arrays and objects (outside strings) nest deeper than `limit`."""
    depth = 0
    for match in _TOKENS.finditer(body):
        first = match.group()[0]
        if first in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif first != 0x22:  # a closing bracket; a string is skipped
            depth -= 1
    return False


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise BodyRefused(400, "invalid_input", f"duplicate key in the body: {dup[:64]!r}")
    return obj


def _no_fraction(text: str) -> Any:
    raise BodyRefused(400, "invalid_input", f"numbers in a body are integers (got {text[:32]}); amounts are strings")


def check_json_body(content_type: bytes | None, body: bytes) -> None:
    """Raise BodyRefused unless `body` (non-empty) is a JSON document our decoders may safely read."""
    if not is_json_media_type(content_type):
        raise BodyRefused(415, "unsupported_media_type", "a request body must be sent as application/json")
    if nesting_exceeds(body):
        raise BodyRefused(400, "invalid_input", f"the body is nested deeper than {MAX_DEPTH} levels")
    try:
        text = body.decode("utf-8")
        # Depth is bounded above, so this recursive decoder is safe; it only checks, Litestar decodes.
        json.loads(text, object_pairs_hook=_no_duplicates, parse_float=_no_fraction, parse_constant=_no_fraction)
    except UnicodeDecodeError as exc:
        raise BodyRefused(400, "invalid_input", "the body is not UTF-8") from exc
    except ValueError as exc:
        raise BodyRefused(400, "invalid_input", f"the body is not valid JSON: {str(exc)[:120]}") from exc
