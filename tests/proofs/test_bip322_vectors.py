"""Every entry of the BIP-322 vector files (basic, generated, pre-2026 inline), error cases included."""

from __future__ import annotations

import pytest
from embit.script import address_to_scriptpubkey

from chains.bitcoin.proofs import verify_message
from chains.bitcoin.proofs.message import bip322_message_hash, to_sign, to_spend

from .vectors import BASIC, GENERATED, PRE2026, cases, load

# Scripts this verifier does not interpret: BIP-322 lets it answer "inconclusive" for them, never "valid".
NOT_UNDERSTOOD = {"p2tr-time-lock", "p2wsh-time-lock"}


def _expected(entry: dict) -> str:
    return "inconclusive" if entry["type"] in NOT_UNDERSTOOD else "valid"


def _txids(message: str, address: str) -> tuple[str, str]:
    spend = to_spend(bip322_message_hash(message.encode()), address_to_scriptpubkey(address).data)
    return spend.txid().hex(), to_sign(spend).txid().hex()


@pytest.mark.parametrize("entry", cases(BASIC, "tx_hashes"))
def test_basic_tx_hashes(entry):
    assert bip322_message_hash(entry["message"].encode()).hex() == entry["message_hash"]
    assert _txids(entry["message"], entry["address"]) == (entry["to_spend_tx_hash"], entry["to_sign_tx_hash"])


@pytest.mark.parametrize("section", ["simple", "full", "proof_of_funds"])
def test_generated_sections_are_all_collected(section):
    # Guards the parametrisation below: a new section or entry in the file must not go unnoticed.
    assert len(cases(GENERATED, section)) == len(load(GENERATED)[section]) > 0


@pytest.mark.parametrize(
    "entry",
    cases(BASIC, "simple") + cases(GENERATED, "simple") + cases(GENERATED, "full") + cases(GENERATED, "proof_of_funds"),
)
def test_signature_vectors(entry):
    for signature in entry["bip322_signatures"]:
        result = verify_message(entry["address"], entry["message"], signature, "main")
        assert result.outcome == _expected(entry), result.detail
        if result.outcome != "valid":
            continue
        assert result.signers, "a valid proof names the keys that signed"
        assert result.valid_at_time == (entry.get("lock_time") or None)
        assert result.valid_at_age == (entry.get("sequence") or None)
        prefix = signature[:3]
        assert result.variant == {"smp": "simple", "ful": "full", "pof": "proof_of_funds"}.get(prefix, "simple")
        assert signature[3:] not in result.detail


@pytest.mark.parametrize("entry", cases(GENERATED, "proof_of_funds"))
def test_proof_of_funds_lists_the_extra_inputs(entry):
    result = verify_message(entry["address"], entry["message"], entry["bip322_signatures"][0], "main")
    expected = [i for group in entry["additional_inputs"] for i in group]
    assert [f.script_pubkey for f in result.funds] == [i["pk_script"] for i in expected]
    assert sorted(f.value_sat for f in result.funds) == sorted(i["value"] for i in expected)
    assert "not checked" in result.detail


@pytest.mark.parametrize("entry", cases(BASIC, "error") + cases(GENERATED, "error"))
def test_error_vectors_are_invalid(entry):
    result = verify_message(entry["address"], entry["message"], entry["signature"], "main")
    assert result.outcome == "invalid", result.detail
    assert not result.signers
    assert result.detail


def test_pre2026_inline_vectors():
    data = load(PRE2026)
    for item in data["message_hashes"]:
        assert bip322_message_hash(item["message"].encode()).hex() == item["message_hash"]
    for spend_item, sign_item in zip(data["to_spend_txids"], data["to_sign_txids"]):
        assert _txids(spend_item["message"], data["address"]) == (spend_item["txid"], sign_item["txid"])
    for item in data["signatures"]:
        # Unprefixed: the pre-2026 simple form, still accepted.
        result = verify_message(data["address"], item["message"], item["signature"], "main")
        assert (result.outcome, result.variant) == ("valid", "simple"), result.detail
        other = "Hello World" if item["message"] == "" else ""
        assert verify_message(data["address"], other, item["signature"], "main").outcome == "invalid"
