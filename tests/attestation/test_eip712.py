"""The EIP-712 signature: the official vectors through the same library calls, and our struct hashed by hand."""

from __future__ import annotations

import json
import os

from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from reserves.attestation import canonical, eip712
from tests.attestation.helpers import key, make_doc_v4

ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def vectors(shared_dir):
    with open(os.path.join(shared_dir, "vectors", "eip712-eip191-vectors.json")) as fh:
        return json.load(fh)


def test_the_official_mail_vector_through_our_calls(shared_dir):
    """EIP-712's own example (assets/eip-712/Example.js): the hashing and signing calls eip712.py uses
    reproduce its domain separator, signing hash, signature and signer."""
    v = vectors(shared_dir)["eip712_mail"]
    signable = encode_typed_data(full_message=v["typedData"])
    assert "0x" + signable.header.hex() == v["expected"]["domainSeparator"]
    assert "0x" + signable.body.hex() == v["expected"]["hashStruct_Mail"]
    assert (
        "0x" + keccak(b"\x19" + signable.version + signable.header + signable.body).hex() == v["expected"]["signHash"]
    )
    signed = Account.sign_message(signable, bytes.fromhex(v["private_key_hex_derived"]))
    assert "0x" + bytes(signed.signature).hex() == v["expected"]["signature_rpc"]
    assert Account.recover_message(signable, signature=signed.signature).lower() == v["expected"]["address"]


def _by_hand(att_id: str, body: dict) -> bytes:
    """EIP-712 for our struct written out from the specification (encodeType, encodeData, 0x1901)."""
    domain_type = keccak(b"EIP712Domain(string name,string version)")
    domain = keccak(
        encode(["bytes32", "bytes32", "bytes32"], [domain_type, keccak(b"Reserves attestation"), keccak(b"1")])
    )
    type_hash = keccak(
        b"Attestation(bytes32 id,uint64 sequence,uint8 status,uint256 ratioBp,uint256 reservesSat,"
        b"uint256 supplySat,uint64 issuedAt)"
    )
    m = eip712.message(att_id, body)
    data = encode(
        ["bytes32", "bytes32", "uint64", "uint8", "uint256", "uint256", "uint256", "uint64"],
        [type_hash, m["id"], m["sequence"], m["status"], m["ratioBp"], m["reservesSat"], m["supplySat"], m["issuedAt"]],
    )
    return keccak(b"\x19\x01" + domain + keccak(data))


def test_our_digest_matches_the_specification_by_hand():
    doc = make_doc_v4()
    body = {k: v for k, v in doc.items() if k != "signatures"}
    att_id = canonical.attestation_id(body)
    assert eip712.digest(att_id, body) == _by_hand(att_id, body)
    m = eip712.message(att_id, body)
    assert (
        m["status"] == 0
        and m["ratioBp"] == int(body["ratio_bp"])
        and m["supplySat"] == int(body["supply"]["total_sat"])
    )


def test_the_engine_signature_recovers_to_its_address_and_only_in_canonical_form():
    engine = key(7, "engine")
    doc = make_doc_v4(engine=engine)
    body = {k: v for k, v in doc.items() if k != "signatures"}
    att_id = canonical.attestation_id(body)
    sig = doc["signatures"][-1]["sig"]
    assert eip712.recover(att_id, body, sig) == engine.evm_address == body["signers"]["eip712"]["address"]
    r, s, v = sig[2:66], int(sig[66:130], 16), int(sig[130:], 16)
    twin = "0x" + r + f"{ORDER - s:064x}" + f"{55 - v:02x}"  # the malleable high-s twin
    assert eip712.recover(att_id, body, twin) is None
    assert eip712.recover(att_id, body, sig[:-2] + "00") is None
    assert eip712.recover(att_id, body, "0x" + "00" * 65) is None
    other = make_doc_v4(1, doc)
    assert (
        eip712.recover(canonical.attestation_id({k: v for k, v in other.items() if k != "signatures"}), other, sig)
        != engine.evm_address
    )


def test_the_evm_key_is_derived_not_the_bip340_secret():
    engine = key(7)
    assert engine.evm_address != Account.from_key((7).to_bytes(32, "big")).address.lower()
    assert engine.evm_address == key(7).evm_address  # deterministic: one key file, one address
