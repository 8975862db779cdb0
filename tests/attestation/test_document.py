"""Building bodies: totals, rounding, ratio and status come out right and verify; bad input is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, timezone

import pytest

from chains.base import Utxo
from chains.errors import ChainUnavailable
from reserves.attestation import (
    ReserveResult,
    SupplyResult,
    attestation_id,
    envelope,
    sign,
    verify_document,
)
from reserves.errors import InvalidInput, SigningKeyError
from tests.attestation.helpers import ADDRESS, ISSUED, key, make_body, reserve_result, supply_result


def verified(body, signer=None):
    signer = signer or key(7)
    report = verify_document(sign(body, [signer]), trusted_keys={signer.pubkey_hex: signer.key_id})
    assert report.ok, report.failed()
    return body


def test_healthy_totals_and_rounding():
    body = verified(make_body())
    assert body["reserves"]["total_sat"] == "210005000"
    assert body["reserves"]["utxo_count"] == 3
    # 0.1 + 0.050000000000000001 tokens: the second rounds up to 5000001 sat
    assert [d["supply_sat"] for d in body["supply"]["deployments"]] == ["10000000", "5000001"]
    assert body["supply"]["total_sat"] == "15000001"
    assert body["ratio_bp"] == str(210005000 * 10000 // 15000001)
    assert (body["status"], body["status_reasons"]) == ("healthy", [])


def test_deterministic_and_sorted():
    a = make_body(reserves=[reserve_result("z", seed=3), reserve_result("a", seed=4)])
    b = make_body(reserves=[reserve_result("a", seed=4), reserve_result("z", seed=3)])
    assert attestation_id(a) == attestation_id(b)
    assert [s["name"] for s in a["reserves"]["sources"]] == ["a", "z"]


def test_failed_source_is_stale_without_ratio():
    failed = ReserveResult.failed("hot", "bitcoin-esplora", 600, ChainUnavailable("esplora timed out"))
    body = verified(make_body(reserves=[reserve_result(), failed]))
    assert body["status"] == "stale" and body["ratio_bp"] is None
    entry = next(s for s in body["reserves"]["sources"] if s["name"] == "hot")
    assert entry == {
        "name": "hot",
        "kind": "bitcoin-esplora",
        "error": {"code": "chain_unavailable", "detail": "esplora timed out"},
    }
    assert body["status_reasons"] == ["reserve source hot: failed (chain_unavailable)"]
    # The failed source's reserves are not counted
    assert body["reserves"]["total_sat"] == "210000000"


def test_failed_deployment_is_stale_without_ratio():
    failed = SupplyResult.failed("bsc", "evm", "eip155:56", "0x" + "ab" * 20, 600, RuntimeError("http://key@host"))
    body = verified(make_body(supplies=[supply_result(), failed]))
    assert body["status"] == "stale" and body["ratio_bp"] is None
    entry = next(d for d in body["supply"]["deployments"] if d["name"] == "bsc")
    # str(exc) may carry secrets (URLs with keys); only the type name is published
    assert entry["error"] == {"code": "error", "detail": "RuntimeError"}


def test_old_source_is_stale_but_keeps_its_ratio():
    body = verified(make_body(reserves=[reserve_result(age=7201, max_age=7200)]))
    assert body["status"] == "stale"
    assert body["ratio_bp"] is not None
    assert "older than max_age_seconds 7200" in body["status_reasons"][0]


def test_future_block_is_stale_but_keeps_its_ratio():
    body = verified(make_body(reserves=[reserve_result(age=-7201)]))
    assert body["status"] == "stale" and body["ratio_bp"] is not None
    assert body["status_reasons"] == [
        "reserve source cold: block_time 2025-03-01T14:00:01Z is in the future, more than 7200 seconds after issued_at"
    ]
    # two hours ahead is within Bitcoin's own tolerance
    assert verified(make_body(reserves=[reserve_result(age=-7200)]))["status"] == "healthy"


def test_future_deployment_block_is_stale():
    body = verified(make_body(supplies=[supply_result(age=-(10**6), max_age=10**9)]))
    assert body["status"] == "stale"
    assert "supply deployment ethereum: block_time" in body["status_reasons"][0]


def test_verifier_recomputes_the_future_rule():
    # An issuer (or an older engine) that calls a future-dated reading healthy is caught offline.
    body = make_body(reserves=[reserve_result(age=-3 * 3600)])
    forged = {**body, "status": "healthy", "status_reasons": []}
    signer = key(7)
    report = verify_document(sign(forged, [signer]), trusted_keys={signer.pubkey_hex: signer.key_id})
    assert {c.name for c in report.failed()} == {"status"}
    assert "the rule gives stale" in report.failed()[0].detail


def test_utxos_carry_their_address():
    body = verified(make_body())
    utxos = [u for s in body["reserves"]["sources"] for u in s["utxos"]]
    assert len(utxos) == 3 and all(u["address"] == ADDRESS for u in utxos)
    assert set(utxos[0]) == {"txid", "vout", "value_sat", "height", "address", "wallet", "coinbase", "lock"}
    # outputs of no named wallet belong to the wallet named after their source
    assert {u["wallet"] for u in body["reserves"]["sources"][0]["utxos"]} == {body["reserves"]["sources"][0]["name"]}


@pytest.mark.parametrize("address", ["", "bc1q wrong", "0x" + "12" * 20 + "!", "b" * 101, "bc1qIO", None, 5])
def test_malformed_address_becomes_a_failed_entry(address):
    good = reserve_result()
    utxos = tuple(replace(u, address=address) for u in good.reading.utxos)
    body = verified(make_body(reserves=[replace(good, reading=replace(good.reading, utxos=utxos))]))
    assert body["reserves"]["sources"][0]["error"]["code"] == "invalid_reading"
    assert body["status"] == "stale"


def test_stale_and_undercollateralised_lists_both():
    body = verified(make_body(reserves=[reserve_result(values=(1,), age=10**6)]))
    assert body["status"] == "stale"
    assert body["status_reasons"][-1].startswith("ratio 0 bp is below 10000 bp")


@pytest.mark.parametrize(
    "reserve_sat,status",
    [(15_000_001, "warning"), (15_750_002, "healthy"), (15_750_001, "warning"), (15_000_000, "undercollateralized")],
)
def test_thresholds(reserve_sat, status):
    body = verified(make_body(reserves=[reserve_result(values=(reserve_sat,))], warning=10_500))
    assert body["status"] == status


def test_zero_supply_is_healthy_with_null_ratio():
    body = verified(make_body(supplies=[supply_result(total=0)]))
    assert (body["status"], body["ratio_bp"], body["supply"]["total_sat"]) == ("healthy", None, "0")


def test_no_deployments_at_all():
    body = verified(make_body(supplies=[]))
    assert body["status"] == "healthy" and body["ratio_bp"] is None


def test_inconsistent_reading_becomes_a_failed_entry():
    good = reserve_result()
    bad = replace(good, name="bad", reading=replace(good.reading, total_sat=good.reading.total_sat + 1))
    body = verified(make_body(reserves=[reserve_result("ok", seed=9), bad]))
    entry = next(s for s in body["reserves"]["sources"] if s["name"] == "bad")
    assert entry["error"]["code"] == "invalid_reading"
    assert body["status"] == "stale"


def test_unconfirmed_utxo_becomes_a_failed_entry():
    good = reserve_result()
    utxo = Utxo("ab" * 32, 0, 5, ADDRESS, None, 0)
    bad = replace(good, reading=replace(good.reading, utxos=(utxo,), total_sat=5))
    body = make_body(reserves=[bad])
    assert body["reserves"]["sources"][0]["error"]["code"] == "invalid_reading"


def test_absurd_decimals_become_a_failed_entry():
    s = supply_result()
    body = make_body(supplies=[replace(s, reading=replace(s.reading, decimals=200))])
    assert body["supply"]["deployments"][0]["error"]["code"] == "invalid_reading"


def test_wrong_chain_becomes_a_failed_entry():
    s = replace(supply_result(), chain_id="eip155:10")
    assert make_body(supplies=[s])["supply"]["deployments"][0]["error"]["code"] == "invalid_reading"


def test_tuples_are_accepted():
    r, s = reserve_result(), supply_result()
    assert make_body(reserves=[tuple(vars(r).values())], supplies=[tuple(vars(s).values())]) == make_body(
        reserves=[r], supplies=[s]
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sequence": 0, "previous": "ab" * 32},
        {"sequence": 1, "previous": None},
        {"sequence": 1, "previous": "AB" * 32},
        {"sequence": -1, "previous": None},
        {"sequence": 0, "previous": None, "issued": ISSUED.replace(tzinfo=None)},
        {"sequence": 0, "previous": None, "reserves": [reserve_result(), reserve_result()]},
        {"sequence": 0, "previous": None, "reserves": [reserve_result("a"), reserve_result("b")]},  # same outpoints
        {"sequence": 0, "previous": None, "reserve_set": (0, "ab" * 32)},
        {"sequence": 0, "previous": None, "reserve_set": (True, "ab" * 32)},
        {"sequence": 0, "previous": None, "reserve_set": (1, "AB" * 32)},
        {"sequence": 0, "previous": None, "reserve_set": (1, "ab" * 31)},
        {"sequence": 0, "previous": None, "reserve_set": (2**53, "ab" * 32)},
    ],
)
def test_refused(kwargs):
    with pytest.raises(InvalidInput):
        make_body(**kwargs)


def test_issued_at_is_whole_seconds_utc():
    body = make_body(issued=ISSUED.replace(microsecond=900_000).astimezone(timezone(timedelta(hours=2))))
    assert body["issued_at"] == "2025-03-01T12:00:00Z"


def test_sign_and_envelope():
    body = make_body()
    k1, k2 = key(1), key(2)
    doc = sign(body, [k1, k2])
    assert [s["pubkey"] for s in doc["signatures"]] == [k1.pubkey_hex, k2.pubkey_hex]
    env = envelope(doc)
    assert env == {"id": attestation_id(body), "attestation": doc}
    trusted = {k1.pubkey_hex: k1.key_id, k2.pubkey_hex: k2.key_id}
    assert verify_document(env, trusted_keys=trusted, require_signatures=2).ok
    with pytest.raises(SigningKeyError):
        sign(body, [])
    with pytest.raises(SigningKeyError):
        sign(body, [k1, key(1)])
    with pytest.raises(InvalidInput):
        sign(doc, [k1])
