"""The published JSON Schema: one source of truth in the package, an identical copy in docs/."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from tests.attestation.helpers import key, make_body

from reserves.attestation import envelope, load_schema, sign

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_COPY = ROOT / "reserves" / "attestation" / "attestation.schema.json"
DOCS_COPY = ROOT / "docs" / "attestation.schema.json"


def test_docs_copy_is_identical():
    assert DOCS_COPY.read_bytes() == PACKAGE_COPY.read_bytes(), "cp reserves/attestation/attestation.schema.json docs/"


def test_schema_is_valid_draft_2020_12():
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def objects(node):
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for value in node.values():
            yield from objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from objects(value)


def test_every_object_is_closed_and_fully_required():
    found = list(objects(load_schema()))
    assert len(found) >= 12
    for node in found:
        assert node["additionalProperties"] is False
        assert sorted(node["required"]) == sorted(node["properties"])


def test_a_built_document_validates_with_plain_jsonschema():
    # What an outside auditor does with the published file and any validator.
    schema = json.loads(DOCS_COPY.read_text())
    doc = sign(make_body(), [key(3)])
    jsonschema.validate(json.loads(json.dumps(doc)), schema, cls=jsonschema.Draft202012Validator)
    assert "id" not in doc and set(envelope(doc)) == {"id", "attestation"}
