"""Hash chains: order-free input, gaps, forks, duplicates, re-ordered links, time going backwards."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from reserves.attestation import attestation_id, envelope, sign, verify_chain
from tests.attestation.helpers import ISSUED, key, make_body

SIGNER = key(7)
TRUSTED = {SIGNER.pubkey_hex: SIGNER.key_id}


def chain(n, start=0, previous=None):
    docs = []
    for seq in range(start, start + n):
        doc = sign(make_body(seq, previous, issued=ISSUED + timedelta(minutes=seq)), [SIGNER])
        previous = attestation_id(doc)
        docs.append(doc)
    return docs


def failed(report):
    return {c.name for c in report.failed()}


def test_chain_passes_in_any_input_order():
    docs = chain(5)
    shuffled = docs[:]
    random.Random(4).shuffle(shuffled)
    for items in (docs, shuffled, [envelope(d) for d in shuffled], [json.dumps(d) for d in docs]):
        report = verify_chain(items, TRUSTED)
        assert report.ok, report.failed()
        assert report.id == attestation_id(docs[-1])
    assert {"chain.sequence", "chain.links", "chain.time"} <= {c.name for c in report.checks}


def test_window_of_history_may_start_late():
    docs = chain(4)
    assert verify_chain(docs[2:], TRUSTED).ok


def test_gap():
    docs = chain(4)
    report = verify_chain([docs[0], docs[1], docs[3]], TRUSTED)
    assert failed(report) == {"chain.sequence"}
    assert "gap: sequence 1 is followed by 3" in report.to_dict()["checks"][-3]["detail"]


def test_fork():
    docs = chain(2)
    rival = sign(make_body(1, attestation_id(docs[0]), issued=ISSUED + timedelta(minutes=2), warning=11_000), [SIGNER])
    report = verify_chain(docs + [rival], TRUSTED)
    assert failed(report) == {"chain.sequence"}
    assert "fork" in next(c.detail for c in report.checks if c.name == "chain.sequence")


def test_duplicate():
    docs = chain(2)
    report = verify_chain(docs + [docs[1]], TRUSTED)
    assert "duplicate" in next(c.detail for c in report.failed() if c.name == "chain.sequence")


def test_reordered_links_resigned():
    # An issuer that rewrites history: 1 and 2 swapped, re-signed, each pointing past the other.
    a = chain(1)[0]
    b = sign(make_body(1, "ab" * 32, issued=ISSUED + timedelta(minutes=1)), [SIGNER])
    c = sign(make_body(2, attestation_id(a), issued=ISSUED + timedelta(minutes=2)), [SIGNER])
    report = verify_chain([a, b, c], TRUSTED)
    assert failed(report) == {"chain.links"}


def test_time_going_backwards():
    a = chain(1)[0]
    b = sign(make_body(1, attestation_id(a), issued=ISSUED - timedelta(minutes=1)), [SIGNER])
    assert failed(verify_chain([a, b], TRUSTED)) == {"chain.time"}


def test_tampered_member_fails_chain():
    docs = chain(3)
    docs[1] = {**docs[1], "issued_at": "2025-03-01T12:01:01Z"}
    report = verify_chain(docs, TRUSTED)
    # The edited attestation's signature breaks, and the next one no longer points at it.
    assert {"doc[1].signature[0]", "doc[1].signatures", "chain.links"} <= failed(report)


def test_untrusted_chain():
    assert not verify_chain(chain(2), {}).ok
    assert not verify_chain(chain(2), None).ok


@pytest.mark.parametrize("items", [[], None, "[]", {"a": 1}, 5])
def test_not_a_list(items):
    report = verify_chain(items, TRUSTED)
    assert not report.ok and failed(report) == {"chain"}


def test_unreadable_member():
    report = verify_chain(chain(2) + ["{not json"], TRUSTED)
    assert {"doc[2].json", "chain"} <= failed(report)
