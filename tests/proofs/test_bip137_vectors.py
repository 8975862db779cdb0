"""Every entry of the bitcoinjs-message fixtures (BIP-137 / signmessage), invalid ones included."""

from __future__ import annotations

import base64

import pytest
from embit import base58, hashes
from embit.ec import PrivateKey
from embit.script import p2pkh

from chains.bitcoin.proofs import verify_message
from chains.bitcoin.proofs.bip137 import Bip137Error, decode_compact, recover_pubkey, sign_compact, sign_legacy
from chains.bitcoin.proofs.message import legacy_message_hash

from .vectors import BIP137, load

DATA = load(BIP137)
MAGIC = {name: prefix.encode("latin-1") for name, prefix in DATA["networks"].items()}
P2SH_P2WPKH, P2WPKH = 35, 39


def _ids(section: list, label: str) -> list:
    return [pytest.param(e, id=f"{BIP137}:{label}[{i}]") for i, e in enumerate(section)]


@pytest.mark.parametrize("entry", _ids(DATA["valid"]["magicHash"], "valid.magicHash"))
def test_magic_hash(entry):
    assert legacy_message_hash(entry["message"].encode(), MAGIC[entry["network"]]).hex() == entry["magicHash"]


@pytest.mark.parametrize("entry", _ids(DATA["valid"]["signature"], "valid.signature"))
def test_compact_encoding(entry):
    sig = decode_compact(bytes.fromhex(entry["hex"]))
    assert (sig.rs.hex(), sig.recovery_id, sig.compressed) == (
        entry["signature"],
        entry["recovery"],
        entry["compressed"],
    )


@pytest.mark.parametrize("entry", _ids(DATA["invalid"]["signature"], "invalid.signature"))
def test_invalid_compact_encoding(entry):
    raw = bytes.fromhex(entry["hex"])
    with pytest.raises(Bip137Error):
        decode_compact(raw)
    signature = base64.b64encode(raw).decode()
    result = verify_message("16UwLL9Risc3QfPqBUvKofHmBQ7wMtjvM", "vires is numeris", signature, "main")
    assert result.outcome == "invalid"


def _address_hash(address: str) -> bytes:
    return base58.decode_check(address)[1:]


@pytest.mark.parametrize("entry", _ids(DATA["valid"]["verify"], "valid.verify"))
def test_verify(entry):
    message = entry["message"]
    if entry["network"] != "bitcoin":
        # verify_message speaks Bitcoin networks only; check the recovery under this network's magic directly.
        sig = decode_compact(base64.b64decode(entry["signature"]))
        pubkey = recover_pubkey(sig, legacy_message_hash(message.encode(), MAGIC[entry["network"]]))
        assert hashes.hash160(pubkey) == _address_hash(entry["address"])
        return
    for case in (entry, entry["compressed"]):
        result = verify_message(case["address"], message, case["signature"], "main")
        assert (result.outcome, result.variant) == ("valid", "legacy"), result.detail
        assert "legacy" in result.detail
    for kind in ("P2SH_P2WPKH", "P2WPKH"):
        case = entry["segwit"][kind]
        result = verify_message(case["address"], message, case["signature"], "main")
        # The key matches, but the legacy path is for P2PKH only.
        assert (result.outcome, result.variant) == ("inconclusive", "legacy"), result.detail
        assert "P2PKH" in result.detail


@pytest.mark.parametrize("entry", _ids(DATA["invalid"]["verify"], "invalid.verify"))
def test_verify_failures(entry):
    result = verify_message(entry["address"], entry["message"], entry["signature"], "main")
    assert (result.outcome, result.variant) == ("invalid", "legacy"), result.detail
    assert not result.signers


@pytest.mark.parametrize("entry", _ids(DATA["valid"]["sign"], "valid.sign"))
def test_sign_reproduces(entry):
    key = PrivateKey(int(entry["d"]).to_bytes(32, "big"), compressed=False)
    digest = legacy_message_hash(entry["message"].encode(), MAGIC[entry["network"]])
    assert base64.b64encode(sign_compact(key, digest, 27)).decode() == entry["signature"]
    if "compressed" in entry:
        key = PrivateKey(key.secret)
        assert base64.b64encode(sign_compact(key, digest, 31)).decode() == entry["compressed"]["signature"]
        segwit = entry["segwit"]
        assert base64.b64encode(sign_compact(key, digest, P2SH_P2WPKH)).decode() == segwit["P2SH_P2WPKH"]["signature"]
        assert base64.b64encode(sign_compact(key, digest, P2WPKH)).decode() == segwit["P2WPKH"]["signature"]


@pytest.mark.parametrize("entry", _ids(DATA["randomSig"], "randomSig"))
def test_sign_with_extra_entropy(entry):
    key = PrivateKey.from_wif(entry["wif"])
    digest = legacy_message_hash(entry["message"].encode())
    for item in entry["signatures"]:
        entropy = base64.b64decode(item["sigData"])
        assert base64.b64encode(sign_compact(key, digest, 27, entropy)).decode() == item["signature"]


def test_sign_legacy_round_trip():
    key = PrivateKey(bytes([7]) * 32)
    address = p2pkh(key.get_public_key()).address()
    signature = sign_legacy(key, b"proof of reserves")
    result = verify_message(address, "proof of reserves", signature, "main")
    assert result.outcome == "valid" and result.signers == (key.get_public_key().sec().hex(),)
    assert verify_message(address, "proof of reserve", signature, "main").outcome == "invalid"


def test_segwit_header_on_p2pkh_address_is_invalid():
    entry = DATA["valid"]["verify"][0]
    segwit_sig = entry["segwit"]["P2WPKH"]["signature"]
    result = verify_message(entry["compressed"]["address"], entry["message"], segwit_sig, "main")
    assert result.outcome == "invalid"


def test_legacy_signature_for_taproot_address_is_invalid():
    entry = DATA["valid"]["verify"][0]
    taproot = "bc1pss0zhytly75awhm6x2hhvd5lnzv3vssgrf9axfheq8ldyzn88ges79fler"
    assert verify_message(taproot, entry["message"], entry["compressed"]["signature"], "main").outcome == "invalid"
