"""The JSON Schemas of reserves-attestation/4 (and /3, /2, /1, still verified), loaded from the package, with safe error messages."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

import jsonschema
from jsonschema.exceptions import ValidationError

FORMAT = "reserves-attestation/4"
FORMAT_3 = "reserves-attestation/3"
FORMAT_2 = "reserves-attestation/2"
FORMAT_1 = "reserves-attestation/1"
# Every format a verifier still accepts, with its schema file, oldest first: published attestations
# are never rewritten, so a chain may hold format 1 documents, then format 2, 3, then format 4 ones.
SCHEMA_FILES = {FORMAT_1: "attestation-1.schema.json", FORMAT_2: "attestation-2.schema.json",
                FORMAT_3: "attestation-3.schema.json", FORMAT: "attestation.schema.json"}
FORMAT_ORDER = {name: i for i, name in enumerate(SCHEMA_FILES, start=1)}
SCHEMA_FILE = SCHEMA_FILES[FORMAT]
MAX_ERRORS = 10


@lru_cache(maxsize=8)
def load_schema(format: str = FORMAT) -> dict:
    """The schema of `format` as a dict (draft 2020-12); docs/ holds byte-identical copies."""
    text = resources.files("reserves.attestation").joinpath(SCHEMA_FILES[format]).read_text(encoding="utf-8")
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
def _validator(format: str) -> jsonschema.Draft202012Validator:
    schema = load_schema(format)
    jsonschema.Draft202012Validator.check_schema(schema)
    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern})
    return cls(schema)


def schema_errors(document: object) -> list[str]:
    """Up to MAX_ERRORS short messages ("$.path: keyword"); [] when the document is valid.

    The schema is the one of the document's `format` when it names a known one, else the
    current format's (which then reports the unknown `format`). Messages never embed the
    offending value: it may be megabytes long or deeply nested.
    """
    declared = document.get("format") if isinstance(document, dict) else None
    format = declared if isinstance(declared, str) and declared in SCHEMA_FILES else FORMAT
    errors = []
    try:
        for error in _validator(format).iter_errors(document):
            errors.append(f"{error.json_path}: fails '{error.validator}'")
            if len(errors) >= MAX_ERRORS:
                break
    except RecursionError:
        errors.append("$: nested too deeply to validate")
    return sorted(errors)
