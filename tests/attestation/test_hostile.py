"""Hostile input never raises out of the verifier: it yields a failed report naming the check."""

from __future__ import annotations

import copy
import json
import time

import pytest

from reserves.attestation import sign, verify_document
from tests.attestation.helpers import key, make_body

SIGNER = key(7)
TRUSTED = {SIGNER.pubkey_hex: SIGNER.key_id}
GOOD = sign(make_body(), [SIGNER])


def nested(depth, leaf="x"):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def with_value(path, value):
    doc = copy.deepcopy(GOOD)
    target = doc
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    return doc


AMOUNT = ("reserves", "sources", 0, "utxos", 0, "value_sat")

CASES = {
    "int": (5, "json"),
    "list": ([GOOD], "json"),
    "null": (None, "json"),
    "garbage text": ("{nope", "json"),
    "json array text": ("[1, 2]", "json"),
    "NaN text": ('{"sequence": NaN}', "json"),
    "duplicate keys text": ('{"format": "a", "format": "b"}', "json"),
    "bad envelope": ({"id": 1, "attestation": 2}, "json"),
    "deep python": ({"format": nested(10_000)}, "domain"),
    "deep text": ('{"a":' + "[" * 10_000 + "]" * 10_000 + "}", "json"),
    "deep in signatures": (with_value(("signatures",), nested(10_000)), "domain"),
    "10 MB name": (with_value(("issuer", "name"), "n" * 10_000_000), "schema"),
    "10 MB amount": (with_value(AMOUNT, "9" * 10_000_000), "schema"),
    "NaN amount": (with_value(AMOUNT, "NaN"), "schema"),
    "Infinity amount": (with_value(AMOUNT, "Infinity"), "schema"),
    "negative amount": (with_value(AMOUNT, "-1"), "schema"),
    "leading zero amount": (with_value(AMOUNT, "01"), "schema"),
    "float amount": (with_value(AMOUNT, 1.5), "domain"),
    "int amount": (with_value(AMOUNT, 5), "schema"),
    "2**300 string": (with_value(AMOUNT, str(2**300)), "schema"),
    "2**300 int": (with_value(("sequence",), 2**300), "domain"),
    "float sequence": (with_value(("sequence",), 0.0), "domain"),
    "bool sequence": (with_value(("sequence",), False), "schema"),
    "negative height": (with_value(("reserves", "sources", 0, "height"), -1), "schema"),
    "non-string key": ({**GOOD, 1: "x"}, "domain"),
    "set value": (with_value(("token", "symbol"), {"a"}), "domain"),
    "surrogate": (with_value(("issuer", "name"), "\ud800"), "domain"),
    "surrogate key": ({**GOOD, "\udc00": 1}, "domain"),
    "huge decimals": (with_value(("supply", "deployments", 0, "decimals"), 10**6), "schema"),
    "sources not list": (with_value(("reserves", "sources"), {"a": 1}), "schema"),
    "utxos null": (with_value(("reserves", "sources", 0, "utxos"), None), "schema"),
    "empty object": ({}, "schema"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_input_gives_failed_report(case):
    value, check = CASES[case]
    started = time.monotonic()
    report = verify_document(value, trusted_keys=TRUSTED)
    assert time.monotonic() - started < 5
    assert not report.ok
    names = {c.name for c in report.failed()}
    assert check in names, report.to_dict()
    json.dumps(report.to_dict())  # the report itself is always serialisable
    assert all(len(c.detail) < 5_000 for c in report.checks)  # never echoes megabytes back


def test_huge_key_is_not_echoed():
    report = verify_document({**GOOD, "k" * 1_000_000: 1.5}, trusted_keys=TRUSTED)
    assert not report.ok and all(len(c.detail) < 5_000 for c in report.checks)
