"""The JSON Schema of reserves-attestation/1, loaded from the package, with safe error messages."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

import jsonschema
from jsonschema.exceptions import ValidationError

FORMAT = "reserves-attestation/1"
SCHEMA_FILE = "attestation.schema.json"
MAX_ERRORS = 10


@lru_cache(maxsize=1)
def load_schema() -> dict:
    """The schema as a dict (draft 2020-12); docs/attestation.schema.json is a byte-identical copy."""
    text = resources.files("reserves.attestation").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=64)
def _ecma_regex(pattern: str) -> re.Pattern:
    # JSON Schema patterns are ECMA-262: `$` (no multiline flag) matches only at the very end.
    # Python's `$` also matches before a final "\n", so "<txid>\n" would pass `^[0-9a-f]{64}$`.
    # Every `$` in our schema is an end anchor (a test keeps it so); `\Z` is Python's true end.
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield ValidationError("does not match the pattern")


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern})
    return cls(schema)


def schema_errors(document: object) -> list[str]:
    """Up to MAX_ERRORS short messages ("$.path: keyword"); [] when the document is valid.

    Messages never embed the offending value: it may be megabytes long or deeply nested.
    """
    errors = []
    try:
        for error in _validator().iter_errors(document):
            errors.append(f"{error.json_path}: fails '{error.validator}'")
            if len(errors) >= MAX_ERRORS:
                break
    except RecursionError:
        errors.append("$: nested too deeply to validate")
    return sorted(errors)
