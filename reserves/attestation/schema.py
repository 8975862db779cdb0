"""JSON Schema validation of attestation documents, from the schema files in the package, with safe error messages."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

import jsonschema
from jsonschema.exceptions import ValidationError

MAX_ERRORS = 10


@lru_cache(maxsize=8)
def load(file_name: str) -> dict:
    """The schema in package file `file_name` as a dict (draft 2020-12); docs/ holds byte-identical copies."""
    text = resources.files("reserves.attestation").joinpath(file_name).read_text(encoding="utf-8")
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


@lru_cache(maxsize=8)
def _validator(file_name: str) -> jsonschema.Draft202012Validator:
    schema = load(file_name)
    jsonschema.Draft202012Validator.check_schema(schema)
    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern})
    return cls(schema)


def errors(document: object, file_name: str) -> list[str]:
    """Up to MAX_ERRORS short messages ("$.path: keyword") against schema `file_name`; [] when valid.

    Messages never embed the offending value: it may be megabytes long or deeply nested.
    """
    found = []
    try:
        for error in _validator(file_name).iter_errors(document):
            found.append(f"{error.json_path}: fails '{error.validator}'")
            if len(found) >= MAX_ERRORS:
                break
    except RecursionError:
        found.append("$: nested too deeply to validate")
    return sorted(found)
