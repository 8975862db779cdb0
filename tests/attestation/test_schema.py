"""The published JSON Schema: one source of truth in the package, an identical copy in docs/."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from reserves.attestation import envelope, load_schema, sign, verify_document
from reserves.attestation.formats import schema_errors
from tests.attestation.helpers import key, make_body, make_doc_v4, make_doc_v5

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


# Format 3's only optional members, each tied to a condition its object states with if/then/else:
# bridge_source (bridges only), bridge (lockbox/escrow of a bridge only), rpc (omitted for one endpoint).
OPTIONAL = {"deployment_ok": {"bridge_source", "rpc"}, "held_balance": {"bridge"}}


@pytest.mark.parametrize("fmt", ["reserves-attestation/3", "reserves-attestation/4"])
def test_every_object_is_closed_and_fully_required(fmt):
    found = list(objects(load_schema(fmt)))
    assert len(found) >= 14
    optional = {id(load_schema(fmt)["$defs"][name]): members for name, members in OPTIONAL.items()}
    for node in found:
        assert node["additionalProperties"] is False
        members = optional.get(id(node), set())
        assert sorted(node["required"]) == sorted(set(node["properties"]) - members)
        assert not members or "if" in node


@pytest.mark.parametrize("number", [1, 2])
def test_older_formats_keep_their_schema_and_docs_copy(number):
    package = ROOT / "reserves" / "attestation" / f"attestation-{number}.schema.json"
    assert (ROOT / "docs" / f"attestation-{number}.schema.json").read_bytes() == package.read_bytes()
    fmt = f"reserves-attestation/{number}"
    assert load_schema(fmt)["properties"]["format"] == {"const": fmt}
    for node in objects(load_schema(fmt)):
        assert node["additionalProperties"] is False and sorted(node["required"]) == sorted(node["properties"])


@pytest.mark.parametrize("number", [3, 4])
def test_formats_3_and_4_keep_their_schema_and_docs_copy(number):
    package = ROOT / "reserves" / "attestation" / f"attestation-{number}.schema.json"
    docs = ROOT / "docs" / f"attestation-{number}.schema.json"
    assert docs.read_bytes() == package.read_bytes(), f"cp {package.relative_to(ROOT)} docs/"
    fmt = f"reserves-attestation/{number}"
    assert load_schema(fmt)["properties"]["format"] == {"const": fmt}


def test_a_built_document_validates_with_plain_jsonschema():
    # What an outside auditor does with the published file and any validator.
    schema = json.loads(DOCS_COPY.read_text())
    doc = make_doc_v5()
    jsonschema.validate(json.loads(json.dumps(doc)), schema, cls=jsonschema.Draft202012Validator)
    assert "id" not in doc and set(envelope(doc)) == {"id", "attestation"}
    # A format 4 document is valid against the format 4 copy (the current schema until format 5).
    jsonschema.validate(
        json.loads(json.dumps(make_doc_v4())),
        json.loads((ROOT / "docs" / "attestation-4.schema.json").read_text()),
        cls=jsonschema.Draft202012Validator,
    )
    # A format 3 document is valid against the format 3 copy, not against the current schema.
    old = sign(make_body(), [key(3)])
    jsonschema.validate(
        json.loads(json.dumps(old)),
        json.loads((ROOT / "docs" / "attestation-3.schema.json").read_text()),
        cls=jsonschema.Draft202012Validator,
    )


ADDRESSES_OK = [
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",  # P2WPKH (BIP-173)
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",  # P2TR (BIP-350)
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",  # upper-case bech32 is valid too
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",  # P2PKH (base58)
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",  # P2SH (base58)
    "bcrt1qexample",
]
ADDRESSES_BAD = [
    "",
    "bc1q wrong",
    "bc1q\n",
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2?",
    "bc1qIO",
    "x" * 101,
    "bc1q\u00e9",
    5,
    None,
]


def with_address(address):
    doc = sign(make_body(), [key(3)])
    doc["reserves"]["sources"][0]["utxos"][0]["address"] = address
    return doc


@pytest.mark.parametrize("address", ADDRESSES_OK)
def test_addresses_of_every_kind_fit(address):
    assert schema_errors(with_address(address)) == []


@pytest.mark.parametrize("address", ADDRESSES_BAD)
def test_malformed_address_fails_the_schema(address):
    assert schema_errors(with_address(address))


def test_utxo_without_address_fails_the_verifiers_schema_check():
    signer = key(3)
    body = make_body()
    del body["reserves"]["sources"][0]["utxos"][0]["address"]
    report = verify_document(sign(body, [signer]), trusted_keys={signer.pubkey_hex: signer.key_id})
    assert not report.ok and [c.name for c in report.failed()] == ["schema"]
    assert "address" in load_schema()["$defs"]["utxo"]["required"]


def patterns(node):
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from patterns(value)


def test_every_pattern_is_anchored_at_both_ends_only():
    found = list(patterns(load_schema()))
    assert len(found) >= 10
    for pattern in found:
        assert pattern.startswith("^") and pattern.endswith("$") and pattern.count("$") == 1, pattern


@pytest.mark.parametrize(
    "path",
    [
        ("reserves", "sources", 0, "utxos", 0, "txid"),
        ("reserves", "total_sat"),
        ("signatures", 0, "pubkey"),
        ("issued_at",),
    ],
)
def test_a_trailing_newline_does_not_slip_past_dollar(path):
    # ECMA-262 `$` is the very end; Python's re would let "...\n" through.
    doc = sign(make_body(), [key(3)])
    target = doc
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] += "\n"
    assert schema_errors(doc)
