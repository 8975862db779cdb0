"""The `tiers` member of format 5: built by the rule, recomputed by `reserves verify`, tampering caught by name,
every contract finding, the status untouched by tier findings, and the share rounding as a property."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chains.base import TimeLock, Utxo
from reserves.attestation import verify_document
from reserves.attestation.members import tiers as t_
from reserves.attestation.members.contracts import ChainOutpoint, ContractDecl, script_of
from reserves.settings.tiers import TierSettings
from tests.attestation.helpers import key, make_doc_v4, make_doc_v5, reserve_result

# A mainnet contract script: one key (the secp256k1 generator, public knowledge) after block 840000.
KEY = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
DESCRIPTOR = f"wsh(and_v(v:pk({KEY}),after(840000)))"
SCRIPT = script_of(DESCRIPTOR, "main", 0)
TXID = "c0" * 32
ENGINE_TRUST = {key(7, "engine").pubkey_hex: "engine"}
TIERS = (
    TierSettings("locked", 3500, 500, ("vault",), locked=True, unlocked_to="liquid"),
    TierSettings("liquid", 6500, 500, ("cold", "hot")),
)


def contract(**changes) -> ContractDecl:
    base = ContractDecl("dlc-1", TXID, 0, "vault", "main", DESCRIPTOR, 0, 100_000_000, "height", 840000)
    return replace(base, **changes)


LOCK = TimeLock("height", 840001, False)
SPENT, MISSING = {(TXID, 0): ChainOutpoint("spent", 100_000_000)}, {(TXID, 0): ChainOutpoint("missing")}


def vault(value=100_000_000, lock=LOCK, address=SCRIPT.address, txid=TXID):
    result = reserve_result("vault", (), seed=3)
    utxo = Utxo(txid=txid, vout=0, value_sat=value, address=address, height=799_000, confirmations=1011, lock=lock)
    reading = replace(result.reading, utxos=(utxo,), total_sat=value)
    return replace(result, reading=reading)


def doc(contracts=None, chain=None, vault_result=None, tiers=TIERS, **kw):
    reserves = [reserve_result(), reserve_result("hot", (5_000,), seed=2), vault_result or vault()]
    contracts = (contract(),) if contracts is None else contracts
    return make_doc_v5(tiers=t_.TierInputs(tiers, contracts, chain or {}), reserves=reserves, **kw)


def by_name(items, name):
    return next(i for i in items if i["name"] == name)


def failed(report) -> set[str]:
    return {c.name for c in report.failed()}


def test_a_format_5_document_publishes_each_tier_and_verifies():
    d = doc()
    report = verify_document(d, trusted_keys=ENGINE_TRUST)
    assert report.ok, report.failed()
    member = d["tiers"]
    assert member["basis_sat"] == str(150_000_000 + 60_000_000 + 5_000 + 100_000_000) and member["complete"]
    locked, liquid = by_name(member["tiers"], "locked"), by_name(member["tiers"], "liquid")
    assert (locked["amount_sat"], liquid["amount_sat"]) == ("100000000", "210005000")
    assert (locked["share_bp"], liquid["share_bp"]) == ("3225", "6774")  # floors: 3225.7.., 6774.1..
    assert (locked["in_band"], liquid["in_band"]) == (True, True)
    c = member["contracts"][0]
    assert (c["status"], c["findings"], c["observed"], c["tier"]) == ("active", [], "counted", "locked")
    assert c["script_locks"] == ["after(840000)"] and member["findings"] == []


@pytest.mark.parametrize(
    "path, value, check",
    [
        (("tiers", 0, "amount_sat"), "1", "tiers"),
        (("tiers", 0, "share_bp"), "3226", "tiers"),
        (("tiers", 1, "in_band"), False, "tiers"),
        (("basis_sat",), "1", "tiers"),
        (("complete",), False, "tiers"),
        (("tiers", 0, "target_bp"), "4001", "tiers"),
        (("contracts", 0, "status"), "expired", "contracts"),
        (("contracts", 0, "findings"), ["spent"], "contracts"),
        (("contracts", 0, "script_hash"), "00" * 32, "contracts"),
        (("contracts", 0, "amount_sat"), "99", "contracts"),
        (("contracts", 0, "tier"), "liquid", "contracts"),
        (("contracts", 0, "observed"), "uncounted", "contracts"),
    ],
)
def test_a_tampered_tiers_member_fails_the_named_check(path, value, check):
    d = copy.deepcopy(doc())
    node = d["tiers"]
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    assert check in failed(verify_document(d, trusted_keys=ENGINE_TRUST))


def test_a_removed_finding_fails_the_tiers_check():
    d = doc(contracts=(contract(amount_sat=1),))
    assert d["tiers"]["findings"]
    d["tiers"]["findings"] = []
    assert "tiers" in failed(verify_document(d, trusted_keys=ENGINE_TRUST))


@pytest.mark.parametrize(
    "kw, status, findings",
    [
        ({"contracts": (contract(amount_sat=99_000_000),)}, "active", ["amount_mismatch"]),
        ({"contracts": (contract(unlock_at=850000),)}, "active", ["lock_mismatch"]),
        ({"vault_result": vault(address="bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")}, "active", ["script_mismatch"]),
        ({"vault_result": vault(lock=TimeLock("height", 900001, False))}, "active", ["lock_mismatch"]),
        ({"vault_result": vault(lock=None)}, "expired", ["expired"]),
        (
            {"vault_result": vault(txid="d0" * 32), "chain": SPENT},
            "spent",
            ["spent"],
        ),
        (
            {"vault_result": vault(txid="d0" * 32), "chain": MISSING},
            "pending",
            ["contract_missing"],
        ),
        ({"vault_result": vault(txid="d0" * 32)}, "pending", ["contract_unread"]),
        (
            {"vault_result": vault(txid="d0" * 32), "chain": {(TXID, 0): ChainOutpoint("unspent", 5)}},
            "pending",
            ["script_mismatch", "amount_mismatch"],
        ),
    ],
)
def test_each_contract_mismatch_is_a_named_finding_and_verifies(kw, status, findings):
    d = doc(**kw)
    c = d["tiers"]["contracts"][0]
    assert (c["status"], c["findings"]) == (status, findings)
    assert [(f["code"], f["category"]) for f in d["tiers"]["findings"] if f["category"] == "contract"] == [
        (code, "contract") for code in findings
    ]
    report = verify_document(d, trusted_keys=ENGINE_TRUST)
    assert report.ok, report.failed()


def test_an_expired_contract_moves_out_of_the_locked_tier():
    d = doc(vault_result=vault(lock=None))
    locked, liquid = by_name(d["tiers"]["tiers"], "locked"), by_name(d["tiers"]["tiers"], "liquid")
    assert (locked["amount_sat"], liquid["amount_sat"]) == ("0", "310005000")
    assert locked["in_band"] is False
    assert [f["code"] for f in d["tiers"]["findings"]] == ["tier_out_of_band", "tier_out_of_band", "expired"]


def test_leaving_a_band_never_changes_the_status():
    out = (
        TierSettings("locked", 9000, 100, ("vault",), locked=True, unlocked_to="liquid"),
        TierSettings("liquid", 1000, 100, ("cold", "hot")),
    )
    d5 = doc(tiers=out)
    assert {f["code"] for f in d5["tiers"]["findings"]} == {"tier_out_of_band"}
    reserves = [reserve_result(), reserve_result("hot", (5_000,), seed=2), vault()]
    d4 = make_doc_v4(reserves=reserves)
    for member in ("status", "status_reasons", "status_basis", "ratio_bp"):
        assert d5[member] == d4[member], member
    assert d5["status"] == "healthy"


def test_a_failed_source_leaves_shares_and_bands_unjudged():
    failed_vault = replace(vault(), reading=None, error_code="chain_unavailable", error_detail="down")
    d = doc(vault_result=failed_vault)
    assert d["tiers"]["complete"] is False
    assert all(t["share_bp"] is None and t["in_band"] is None for t in d["tiers"]["tiers"])
    assert d["tiers"]["contracts"][0]["findings"] == ["contract_unread"]
    assert verify_document(d, trusted_keys=ENGINE_TRUST).ok


def test_without_tiers_the_member_is_null_and_verifies():
    d = make_doc_v5()
    assert d["tiers"] is None and verify_document(d, trusted_keys=ENGINE_TRUST).ok


@given(st.lists(st.integers(min_value=0, max_value=21_000_000 * 10**8), min_size=1, max_size=16))
def test_shares_never_sum_above_10000_and_each_is_within_1_bp(amounts):
    basis = sum(amounts)
    if basis == 0:
        return
    shares = [t_.share_bp(a, basis) for a in amounts]
    assert sum(shares) <= 10_000
    assert sum(shares) > 10_000 - len(amounts)  # each lost less than 1 bp
    for a, s in zip(amounts, shares):
        assert s * basis <= a * 10_000 < (s + 1) * basis  # within 1 bp below the exact share, never above


@given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 10_000))
def test_in_band_is_the_closed_interval(share, target, band):
    assert t_.in_band(share, target, band) == (target - band <= share <= target + band)
