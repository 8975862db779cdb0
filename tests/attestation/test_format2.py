"""Format 2: wallets, spendable versus locked, uncounted outputs, duplicates, valid_at; each one re-derived by the
verifier."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from chains.base import BlockRef, DuplicateOutpoint, ReserveReading, TimeLock, Utxo
from reserves.attestation import ReserveResult, attestation_id, envelope, sign, verify_chain, verify_document
from reserves.attestation.formats import FORMAT_1
from reserves.attestation.formats import FORMAT_3 as FORMAT
from reserves.attestation.members.utxos import MAX_UNCOUNTED
from tests.attestation.helpers import ADDRESS, BTC_CHAIN, ISSUED, key, make_body, reserve_result, supply_result
from tests.support import param_id

TIP = 800_010
FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "format1.json").read_text())


def txid(n: int) -> str:
    return f"{n:064x}"


def u(n, value, *, height=TIP - 20, wallet="cold", lock=None, coinbase=False):
    conf = 0 if height is None else TIP - height + 1
    return Utxo(txid(n), 0, value, ADDRESS, height, conf, wallet=wallet, coinbase=coinbase, lock=lock)


LOCK = TimeLock("height", TIP + 100, False)


def rich(name="custody", *, utxos=None, uncounted=None, duplicates=None, wallets=("cold", "hot", "vault", "empty")):
    utxos = (
        utxos
        if utxos is not None
        else (
            u(1, 100_000, wallet="cold"),
            u(2, 50_000, wallet="hot"),
            u(3, 70_000, wallet="vault", lock=LOCK),
            u(4, 30_000, wallet="vault", lock=TimeLock("time", 2_000_000_000, True)),
            u(5, 5_000_000_000, wallet="cold", height=TIP - 150, coinbase=True),
        )
    )
    uncounted = (
        uncounted
        if uncounted is not None
        else (
            u(10, 1_000, height=None, wallet="hot"),
            u(11, 2_000, height=TIP - 2, wallet="cold"),
            u(12, 5_000_000_000, height=TIP - 50, wallet="cold", coinbase=True),
        )
    )
    duplicates = duplicates if duplicates is not None else (DuplicateOutpoint(txid(1), 0, ("cold", "hot")),)
    block = BlockRef(BTC_CHAIN, TIP, "00" * 4 + "ab" * 28, ISSUED - timedelta(seconds=600))
    reading = ReserveReading(
        name,
        block,
        6,
        tuple(utxos),
        sum(x.value_sat for x in utxos),
        5,
        uncounted=tuple(uncounted),
        duplicates=tuple(duplicates),
    )
    return ReserveResult(name, "bitcoin-esplora", 7200, reading, wallets=tuple(wallets))


def body(count_locked=True, **kw):
    return make_body(reserves=[rich(**kw)], supplies=[supply_result()], count_locked=count_locked)


def verify(b, signer=None):
    signer = signer or key(7)
    return verify_document(sign(b, [signer]), trusted_keys={signer.pubkey_hex: signer.key_id})


def test_spendable_locked_and_the_count_locked_policy():
    for count_locked, total in ((True, 5_000_250_000), (False, 5_000_150_000)):
        b = body(count_locked)
        res = b["reserves"]
        assert b["format"] == FORMAT and b["policy"]["count_locked"] is count_locked
        assert (res["spendable_sat"], res["locked_sat"]) == ("5000150000", "100000")
        assert res["total_sat"] == str(total) and res["utxo_count"] == 5
        assert b["ratio_bp"] == str(total * 10000 // 10_000_000)
        assert verify(b).ok, verify(b).failed()


def test_wallet_totals_list_every_declared_wallet():
    src = body()["reserves"]["sources"][0]
    assert [w["name"] for w in src["wallets"]] == ["cold", "empty", "hot", "vault"]
    vault = next(w for w in src["wallets"] if w["name"] == "vault")
    assert vault == {
        "name": "vault",
        "total_sat": "100000",
        "spendable_sat": "0",
        "locked_sat": "100000",
        "utxo_count": 2,
    }
    assert next(w for w in src["wallets"] if w["name"] == "empty")["utxo_count"] == 0
    assert (src["spendable_sat"], src["locked_sat"], src["total_sat"]) == ("5000150000", "100000", "5000250000")


def test_locks_coinbase_and_wallet_per_utxo():
    utxos = {x["txid"]: x for x in body()["reserves"]["sources"][0]["utxos"]}
    assert utxos[txid(3)]["lock"] == {"kind": "height", "until": TIP + 100, "relative": False}
    assert utxos[txid(4)]["lock"] == {"kind": "time", "until": 2_000_000_000, "relative": True}
    assert utxos[txid(1)]["lock"] is None and utxos[txid(5)]["coinbase"] is True


def test_uncounted_outputs_are_listed_with_their_reason():
    src = body()["reserves"]["sources"][0]
    reasons = {x["txid"]: (x["reason"], x["height"]) for x in src["uncounted"]}
    assert reasons == {
        txid(10): ("unconfirmed", None),
        txid(11): ("shallow", TIP - 2),
        txid(12): ("immature_coinbase", TIP - 50),
    }
    assert src["uncounted_count"] == 3
    assert (
        src["duplicates"] == [{"txid": txid(1), "vout": 0, "wallets": ["cold", "hot"]}] and src["duplicate_count"] == 1
    )


def test_uncounted_list_is_capped_with_a_count():
    many = tuple(u(1000 + i, 1, height=None) for i in range(MAX_UNCOUNTED + 5))
    b = body(uncounted=many)
    src = b["reserves"]["sources"][0]
    assert len(src["uncounted"]) == MAX_UNCOUNTED and src["uncounted_count"] == MAX_UNCOUNTED + 5
    assert verify(b).ok


def test_reserve_set_and_valid_at():
    b = body()
    assert b["reserves"]["reserve_set"] == {"version": 1, "hash": "5e" * 32}
    assert b["reserves"]["valid_at"] == {"chain_id": BTC_CHAIN, "height": TIP, "block_hash": "00" * 4 + "ab" * 28}
    failed = make_body(reserves=[ReserveResult.failed("x", "bitcoin-esplora", 60, RuntimeError())])
    assert failed["reserves"]["valid_at"] is None and verify(failed).ok


@pytest.mark.parametrize(
    "reading_change",
    [
        {"utxos": (u(1, 5, height=TIP - 2),)},  # counted but shallow
        {"utxos": (u(1, 5, height=TIP - 20, coinbase=True),)},  # counted but immature
        {"utxos": (u(1, 5, lock=TimeLock("height", TIP, False)),)},  # lock already open
        {"utxos": (u(1, 5, lock=TimeLock("epoch", TIP + 9, False)),)},  # unknown lock kind
        {"utxos": (u(1, 5, lock=TimeLock("height", -1, False)),)},
        {"utxos": (u(1, 5, wallet="w" * 201),)},
        {"uncounted": (u(9, 5, height=TIP - 20),)},  # deep enough to count
        {"uncounted": (u(1, 5, height=None),)},  # also counted
        {"uncounted": (u(9, 5, height=None), u(9, 5, height=None))},
        {"duplicates": (DuplicateOutpoint(txid(1), 0, ("cold",)),)},
        {"duplicates": (DuplicateOutpoint(txid(1), 0, ("cold", "cold")),)},
        {"duplicates": (DuplicateOutpoint("zz", 0, ("cold", "hot")),)},
    ],
)
def test_a_reading_that_breaks_a_rule_is_a_failed_entry(reading_change):
    kw = {"utxos": (u(1, 5),), "uncounted": (), "duplicates": ()} | reading_change
    b = body(**kw)
    assert b["reserves"]["sources"][0]["error"]["code"] == "invalid_reading", b["reserves"]["sources"][0]
    assert b["status"] == "stale" and verify(b).ok


# A compromised or buggy engine re-signs a changed body: the verifier names what is inconsistent.
SRC = ("reserves", "sources", 0)
RESIGNED = [
    (SRC + ("wallets", 0, "total_sat"), "1", {"wallets"}),
    (SRC + ("wallets", 0, "utxo_count"), 9, {"wallets"}),
    (SRC + ("wallets", 1, "name"), "zzz", {"wallets"}),
    (SRC + ("spendable_sat",), "1", {"wallets"}),
    (SRC + ("locked_sat",), "1", {"wallets"}),
    (SRC + ("utxos", 0, "wallet"), "hot", {"wallets", "counting"}),
    # count_locked is true here: moving satoshis between spendable and locked leaves the total
    (SRC + ("utxos", 2, "lock"), None, {"wallets", "totals"}),
    (SRC + ("utxos", 0, "lock"), {"kind": "height", "until": TIP + 5, "relative": False}, {"wallets", "totals"}),
    (SRC + ("utxos", 2, "lock", "until"), TIP, {"counting"}),
    (SRC + ("utxos", 1, "height"), TIP - 1, {"counting"}),
    (SRC + ("utxos", 4, "coinbase"), False, set()),  # 151 confirmations: mature either way
    (SRC + ("utxos", 0, "coinbase"), True, {"counting"}),
    (SRC + ("uncounted", 0, "reason"), "shallow", {"counting"}),
    (SRC + ("uncounted", 1, "height"), TIP - 30, {"counting"}),
    (SRC + ("uncounted", 2, "coinbase"), False, {"counting"}),
    (SRC + ("uncounted_count",), 7, {"counting"}),
    (SRC + ("duplicates", 0, "wallets"), ["hot", "cold"], {"counting"}),
    (SRC + ("duplicate_count",), 0, {"counting"}),
    (("reserves", "spendable_sat"), "1", {"totals"}),
    (("reserves", "locked_sat"), "1", {"totals"}),
    (("reserves", "total_sat"), "5000150000", {"totals"}),
    (("policy", "count_locked"), False, {"totals", "ratio"}),
    (("reserves", "valid_at", "height"), TIP - 1, {"valid_at"}),
    (("reserves", "valid_at"), None, {"valid_at"}),
]


def _put(doc, path, value):
    for p in path[:-1]:
        doc = doc[p]
    doc[path[-1]] = value


@pytest.mark.parametrize("path,value,failing", RESIGNED, ids=param_id)
def test_resigned_inconsistency_is_named(path, value, failing):
    b = copy.deepcopy(body())
    b["supply"]["deployments"][0]["total_supply"] = "1"  # keep the ratio away from thresholds
    b["supply"]["deployments"][0]["supply_sat"] = "1"
    b["supply"]["deployments"][0]["circulating"] = "1"
    b["supply"]["total_sat"] = "1"
    b["ratio_bp"] = str(int(b["reserves"]["total_sat"]) * 10000)
    assert verify(b).ok, verify(b).failed()
    _put(b, path, value)
    report = verify(b)
    assert {c.name for c in report.failed()} == failing, report.failed()


@pytest.mark.parametrize(
    "path",
    [
        ("reserves", "reserve_set"),
        ("reserves", "valid_at"),
        SRC + ("wallets", 0),
        SRC + ("uncounted", 0),
        SRC + ("duplicates", 0),
        SRC + ("utxos", 2, "lock"),
    ],
)
def test_added_field_in_a_new_object_fails_schema(path):
    doc = sign(body(), [key(7)])
    target = doc
    for p in path:
        target = target[p]
    target["extra"] = 1
    report = verify_document(doc, trusted_keys={key(7).pubkey_hex: "k"})
    assert "schema" in {c.name for c in report.failed()}


@pytest.mark.parametrize(
    "path,value",
    [
        (("reserves", "reserve_set", "version"), 0),
        (("reserves", "reserve_set", "hash"), "AB" * 32),
        (("reserves", "reserve_set"), None),
        (SRC + ("utxos", 2, "lock", "kind"), "epoch"),
        (SRC + ("uncounted", 0, "reason"), "locked"),
        (SRC + ("duplicates", 0, "wallets"), ["cold"]),
        (("policy", "count_locked"), "true"),
        (SRC + ("utxos", 0, "wallet"), ""),
    ],
)
def test_malformed_new_fields_fail_schema(path, value):
    doc = sign(body(), [key(7)])
    _put(doc, path, value)
    assert "schema" in {c.name for c in verify_document(doc, trusted_keys={key(7).pubkey_hex: "k"}).failed()}


def test_format_1_documents_still_verify():
    example = FIXTURE["docs_example"]
    assert example["attestation"]["format"] == FORMAT_1
    report = verify_document(
        example, trusted_keys={"f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9": "x"}
    )
    assert report.ok, report.failed()
    chain = FIXTURE["chain"]
    assert verify_chain(chain, {FIXTURE["chain_key_pubkey"]: "k"}).ok


def test_a_chain_may_go_from_format_1_to_2_but_not_back():
    signer = key(7)
    trusted = {signer.pubkey_hex: "k"}
    old = FIXTURE["chain"]
    nxt = make_body(2, old[-1]["id"], issued=ISSUED + timedelta(minutes=1))
    new = envelope(sign(nxt, [signer]))
    report = verify_chain(old + [new], trusted)
    assert report.ok, report.failed()
    assert {c.name for c in report.checks if c.name.startswith("chain.")} >= {"chain.format"}
    # a format 1 document after a format 2 one: re-signed format 1 body with sequence 3
    back = copy.deepcopy({k: v for k, v in old[-1]["attestation"].items() if k != "signatures"})
    back.update(sequence=3, previous=new["id"], issued_at="2025-03-01T12:02:00Z")
    back_env = envelope(sign(back, [signer]))
    failed = {c.name for c in verify_chain(old + [new, back_env], trusted).failed()}
    assert "chain.format" in failed


def test_format_1_body_with_format_2_members_fails_schema():
    doc = sign(body(), [key(7)])
    doc["format"] = FORMAT_1
    assert "schema" in {c.name for c in verify_document(doc, trusted_keys={key(7).pubkey_hex: "k"}).failed()}


def test_two_sources_at_one_tip_share_valid_at():
    b = make_body(reserves=[rich("a"), rich("b", utxos=(u(50, 7),), uncounted=(), duplicates=())])
    assert b["reserves"]["valid_at"]["height"] == TIP and verify(b).ok
    assert attestation_id(b) == attestation_id(copy.deepcopy(b))


def test_default_helpers_still_verify():
    b = make_body(reserves=[reserve_result()])
    assert verify(b).ok
    assert replace(rich(), wallets=()).wallets == ()
