"""Tampering: every single-field change, extra field, dropped or swapped signature is caught by name."""

from __future__ import annotations

import copy
import re

import pytest

from reserves.attestation import envelope, sign, verify_document
from tests.attestation.helpers import key, make_body, reserve_result
from tests.support import param_id


def leaf_paths(value, path=()):
    """Every path to a scalar (including null) inside a JSON value."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaf_paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaf_paths(v, path + (i,))
    else:
        yield path


def get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def put(doc, path, value):
    get(doc, path[:-1])[path[-1]] = value


def mutate(value):
    """A different value that usually still fits the schema, so deeper checks are exercised."""
    if value is None:
        return "1"
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if re.fullmatch(r"[0-9]+", value):
        return str(int(value) + 1)
    if re.fullmatch(r"(0x)?[0-9a-f]+", value):
        return value[:-1] + ("0" if value[-1] != "0" else "1")
    if re.fullmatch(r".*:[0-5][0-9]Z", value):
        return value[:-2] + ("1" if value[-2] != "1" else "2") + "Z"
    if value in ("healthy", "warning", "undercollateralized", "stale"):
        return "stale" if value != "stale" else "healthy"
    return value + "x"


@pytest.fixture(scope="module")
def world():
    signer = key(7)
    body = make_body(reserves=[reserve_result(), reserve_result("stuck", values=(42,), seed=5, age=10**5)])
    doc = sign(body, [signer])
    return signer, doc, {signer.pubkey_hex: signer.key_id}


def failed_names(report):
    return {c.name for c in report.failed()}


def test_untampered_document_passes(world):
    _, doc, trusted = world
    assert verify_document(doc, trusted_keys=trusted).ok
    assert verify_document(envelope(doc), trusted_keys=trusted).ok


def test_every_body_leaf_change_breaks_the_signature(world):
    _, doc, trusted = world
    paths = [p for p in leaf_paths(doc) if p[0] != "signatures"]
    assert len(paths) > 60
    for path in paths:
        tampered = copy.deepcopy(doc)
        put(tampered, path, mutate(get(doc, path)))
        report = verify_document(envelope(doc) | {"attestation": tampered}, trusted_keys=trusted)
        names = failed_names(report)
        assert not report.ok, path
        # Either the shape is now wrong, or the body no longer matches its id and signature.
        assert "schema" in names or {"id", "signature[0]", "signatures"} <= names, (path, names)


@pytest.mark.parametrize(
    "field,failing",
    [("sig", {"signature[0]", "signatures"}), ("pubkey", {"signature[0]", "trusted[0]", "signatures"})],
)
def test_signature_entry_changes(world, field, failing):
    _, doc, trusted = world
    tampered = copy.deepcopy(doc)
    tampered["signatures"][0][field] = mutate(tampered["signatures"][0][field])
    assert failing <= failed_names(verify_document(tampered, trusted_keys=trusted))


def test_relabelled_key_id_is_shown_not_trusted_more(world):
    # key_id is outside the signed body: relabelling cannot forge anything, so trust stays with
    # the pubkey, and the report shows the mismatch.
    _, doc, trusted = world
    tampered = copy.deepcopy(doc)
    tampered["signatures"][0]["key_id"] = "someone-else"
    report = verify_document(tampered, trusted_keys=trusted)
    assert report.ok
    assert "calls it someone-else" in next(c.detail for c in report.checks if c.name == "trusted[0]")
    pinned = {k: "pinned" for k in trusted}  # `reserves verify --pubkey HEX` pins without labels
    assert verify_document(doc, trusted_keys=pinned).ok


@pytest.mark.parametrize(
    "path",
    [
        (),
        ("issuer",),
        ("token",),
        ("policy",),
        ("reserves",),
        ("reserves", "sources", 0),
        ("reserves", "sources", 0, "utxos", 0),
        ("reserves", "sources", 1),
        ("supply",),
        ("supply", "deployments", 0),
        ("signatures", 0),
    ],
)
def test_added_field_fails_schema(world, path):
    _, doc, trusted = world
    tampered = copy.deepcopy(doc)
    get(tampered, path)["extra"] = "1"
    assert "schema" in failed_names(verify_document(tampered, trusted_keys=trusted))


def test_dropped_signature(world):
    _, doc, trusted = world
    report = verify_document({**doc, "signatures": []}, trusted_keys=trusted)
    assert failed_names(report) == {"signatures"}


def test_missing_signatures_member(world):
    _, doc, trusted = world
    body = {k: v for k, v in doc.items() if k != "signatures"}
    assert "schema" in failed_names(verify_document(body, trusted_keys=trusted))


def test_swapped_key_resigned_by_stranger(world):
    _, doc, trusted = world
    body = {k: v for k, v in doc.items() if k != "signatures"}
    report = verify_document(sign(body, [key(99)]), trusted_keys=trusted)
    assert failed_names(report) == {"trusted[0]", "signatures"}


def test_swapped_pubkey_keeps_old_sig(world):
    _, doc, trusted = world
    stranger = key(99)
    tampered = copy.deepcopy(doc)
    tampered["signatures"][0].update(pubkey=stranger.pubkey_hex, key_id=stranger.key_id)
    assert {"signature[0]", "trusted[0]", "signatures"} <= failed_names(verify_document(tampered, trusted_keys=trusted))


def test_no_trusted_keys(world):
    _, doc, _ = world
    report = verify_document(doc, trusted_keys=None)
    assert not report.ok
    trust = next(c for c in report.checks if c.name == "trusted")
    assert trust.detail == "no trusted keys given"
    assert next(c for c in report.checks if c.name == "signature[0]").ok
    assert {c.name for c in report.failed()} == {"trusted", "signatures"}


@pytest.mark.parametrize("bad", [["x"], {"a": 1}, "key", 5])
def test_malformed_trusted_keys(world, bad):
    _, doc, _ = world
    assert {c.name for c in verify_document(doc, trusted_keys=bad).failed()} == {"trusted", "signatures"}


def test_uppercase_trusted_pubkey_is_fine(world):
    signer, doc, _ = world
    assert verify_document(doc, trusted_keys={signer.pubkey_hex.upper(): signer.key_id}).ok


@pytest.mark.parametrize("require", [0, -1, True, "1"])
def test_bad_require_signatures(world, require):
    _, doc, trusted = world
    assert not verify_document(doc, trusted_keys=trusted, require_signatures=require).ok


def test_envelope_id_mismatch(world):
    _, doc, trusted = world
    report = verify_document({"id": "00" * 32, "attestation": doc}, trusted_keys=trusted)
    assert failed_names(report) == {"id"}


def test_same_signature_twice_counts_once(world):
    _, doc, trusted = world
    doubled = {**doc, "signatures": doc["signatures"] * 2}
    assert verify_document(doubled, trusted_keys=trusted).ok
    assert failed_names(verify_document(doubled, trusted_keys=trusted, require_signatures=2)) == {"signatures"}


# Tampering re-signed by the trusted key (a compromised or buggy engine): signatures pass, and the
# arithmetic checks must name what is inconsistent.
RESIGNED = [
    # A changed primary value makes everything derived from it wrong as well.
    (("reserves", "sources", 0, "utxos", 0, "value_sat"), "7", {"reserves", "totals", "ratio", "wallets"}),
    (("reserves", "sources", 0, "total_sat"), "7", {"reserves"}),
    (("reserves", "sources", 0, "utxo_count"), 5, {"reserves"}),
    (("reserves", "total_sat"), "1", {"totals"}),
    (("reserves", "utxo_count"), 99, {"totals"}),
    (("supply", "deployments", 0, "supply_sat"), "9999999", {"supply"}),
    (("supply", "deployments", 0, "decimals"), 17, {"supply", "totals", "ratio"}),
    (("supply", "total_sat"), "1", {"totals"}),
    (("ratio_bp",), "1", {"ratio"}),
    (("ratio_bp",), None, {"ratio"}),
    (("status",), "healthy", {"status"}),
    (("status_reasons",), [], {"status"}),
    (("policy", "warning_below_bp"), "9000", {"policy", "status"}),
    (("previous",), "ab" * 32, {"link"}),
    (("issued_at",), "2025-02-30T00:00:00Z", {"timestamps", "status"}),
    (("reserves", "sources", 0, "block_time"), "2020-01-01T00:00:00Z", {"status"}),
]


@pytest.mark.parametrize("path,value,failing", RESIGNED, ids=param_id)
def test_resigned_inconsistency_is_named(world, path, value, failing):
    signer, doc, trusted = world
    body = copy.deepcopy({k: v for k, v in doc.items() if k != "signatures"})
    put(body, path, value)
    report = verify_document(sign(body, [signer]), trusted_keys=trusted)
    assert failed_names(report) == failing, report.failed()


def test_duplicate_outpoint_across_sources_is_named(world):
    signer, doc, trusted = world
    body = copy.deepcopy({k: v for k, v in doc.items() if k != "signatures"})
    body["reserves"]["sources"][1]["utxos"] = copy.deepcopy(body["reserves"]["sources"][0]["utxos"][:1])
    utxo = body["reserves"]["sources"][1]["utxos"][0]
    body["reserves"]["sources"][1]["total_sat"] = utxo["value_sat"]
    names = failed_names(verify_document(sign(body, [signer]), trusted_keys=trusted))
    assert "reserves" in names
