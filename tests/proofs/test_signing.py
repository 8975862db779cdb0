"""sign_simple against the vectors, and the PSBT round trip a hardware wallet or a multisig quorum would make."""

from __future__ import annotations

import base64

import pytest
from embit import script
from embit.ec import PrivateKey
from embit.networks import NETWORKS
from embit.psbt import PSBT

from chains.bitcoin.proofs import ProofFormatError, sign_simple, signature_from_psbt, to_sign_psbt, verify_message
from chains.bitcoin.proofs.signing import PSBT_GLOBAL_GENERIC_SIGNED_MESSAGE, ExactPSBT
from chains.errors import ChainConfigError

from .helpers import key
from .vectors import BASIC, GENERATED, load

REGTEST = NETWORKS["regtest"]
MESSAGE = "reserves.example/challenge v3 block 00000000000000000001"


def _wif_vectors(name: str, kind: str) -> list:
    return [
        pytest.param(e, id=f"{name}:simple:{kind}:{e['message'][:20]}")
        for e in load(name)["simple"]
        if e["type"] == kind
    ]


@pytest.mark.parametrize("entry", _wif_vectors(BASIC, "p2wpkh"))
def test_p2wpkh_reproduces_basic_vectors(entry):
    # Basic vectors give two signatures each: Bitcoin Core's (low-R grinding) and plain RFC 6979.
    k = PrivateKey.from_wif(entry["private_keys"][0])
    produced = [sign_simple(entry["address"], entry["message"], k, "main", grind=g) for g in (True, False)]
    assert produced == ["smp" + s.removeprefix("smp") for s in entry["bip322_signatures"]]


@pytest.mark.parametrize("entry", _wif_vectors(GENERATED, "p2wpkh"))
def test_p2wpkh_reproduces_generated_vectors(entry):
    # btcd made these: plain RFC 6979 without low-R grinding.
    k = PrivateKey.from_wif(entry["private_keys"][0])
    assert sign_simple(entry["address"], entry["message"], k, "main", grind=False) == entry["bip322_signatures"][0]


@pytest.mark.parametrize("entry", _wif_vectors(BASIC, "p2tr") + _wif_vectors(GENERATED, "p2tr"))
def test_p2tr_signatures_verify(entry):
    # The vectors' Schnorr nonces come from btcd's deterministic nonce, not BIP-340 aux randomness, so they
    # cannot be reproduced byte for byte; our signatures (zero and random aux) must verify instead.
    k = PrivateKey.from_wif(entry["private_keys"][0])
    for aux in (None, bytes(range(32))):
        signature = sign_simple(entry["address"], entry["message"], k, "main", aux_rand=aux)
        result = verify_message(entry["address"], entry["message"], signature, "main")
        assert (result.outcome, result.variant) == ("valid", "simple"), result.detail
        assert result.signers == (script.address_to_scriptpubkey(entry["address"]).data[2:].hex(),)
        assert verify_message(entry["address"], entry["message"] + "x", signature, "main").outcome == "invalid"


def test_sign_simple_refuses_foreign_key_and_unsupported_address():
    k = key(5)
    p2wpkh = script.p2wpkh(k.get_public_key()).address(REGTEST)
    with pytest.raises(ProofFormatError):
        sign_simple(p2wpkh, MESSAGE, key(6), "regtest")
    with pytest.raises(ProofFormatError):
        sign_simple(script.p2pkh(k.get_public_key()).address(REGTEST), MESSAGE, k, "regtest")
    with pytest.raises(ChainConfigError):
        sign_simple(p2wpkh, MESSAGE, k, "main")
    with pytest.raises(ChainConfigError):
        sign_simple(p2wpkh, MESSAGE, k, "litecoin")


def _multisig(sort: bool = False):
    keys = [key(i) for i in (11, 12, 13)]
    pubs = [k.get_public_key() for k in keys]
    if sort:
        pubs = sorted(pubs, key=lambda p: p.sec())
    witness_script = script.multisig(2, pubs)
    return keys, witness_script, script.p2wsh(witness_script).address(REGTEST)


@pytest.mark.parametrize("sort", [False, True], ids=["multi", "sortedmulti"])
@pytest.mark.parametrize("signing", [(0, 1, 2), (0, 2), (2, 1)])
def test_two_of_three_psbt_round_trip(sort, signing):
    keys, witness_script, address = _multisig(sort)
    psbt = ExactPSBT.from_string(to_sign_psbt(address, MESSAGE, "regtest", witness_script.data))
    assert psbt.unknown[PSBT_GLOBAL_GENERIC_SIGNED_MESSAGE] == MESSAGE.encode()
    for i in signing:
        assert psbt.sign_with(keys[i]) == 1
    signature, signers = signature_from_psbt(psbt.to_string(), address, MESSAGE, "regtest")
    assert signature.startswith("smp")
    expected = {keys[i].get_public_key().sec().hex() for i in signing}
    assert set(signers) == expected and len(signers) == len(signing)
    result = verify_message(address, MESSAGE, signature, "regtest")
    assert (result.outcome, result.variant) == ("valid", "simple"), result.detail
    assert len(result.signers) == 2 and set(result.signers) <= expected


def test_one_of_three_signatures_is_not_enough():
    keys, witness_script, address = _multisig()
    psbt = ExactPSBT.from_string(to_sign_psbt(address, MESSAGE, "regtest", witness_script.data))
    psbt.sign_with(keys[1])
    with pytest.raises(ProofFormatError, match="1 valid partial signature"):
        signature_from_psbt(psbt.to_string(), address, MESSAGE, "regtest")


def test_forged_partial_signature_is_not_counted():
    keys, witness_script, address = _multisig()
    psbt = ExactPSBT.from_string(to_sign_psbt(address, MESSAGE, "regtest", witness_script.data))
    psbt.sign_with(keys[0])
    psbt.sign_with(keys[1])
    pub2 = keys[2].get_public_key()
    psbt.inputs[0].partial_sigs[pub2] = next(iter(psbt.inputs[0].partial_sigs.values()))  # someone else's signature
    _, signers = signature_from_psbt(psbt.to_string(), address, MESSAGE, "regtest")
    assert pub2.sec().hex() not in signers and len(signers) == 2


def test_plain_embit_signer_gives_a_full_signature():
    # embit 0.8's own PSBT rewrites to_sign to version 2 / sequence 0xFFFFFFFF before signing: still a valid
    # BIP-322 proof, but only in the full form.
    keys, witness_script, address = _multisig()
    psbt = PSBT.from_string(to_sign_psbt(address, MESSAGE, "regtest", witness_script.data))
    psbt.sign_with(keys[0])
    psbt.sign_with(keys[2])
    signature, signers = signature_from_psbt(psbt.to_string(), address, MESSAGE, "regtest")
    assert signature.startswith("ful") and len(signers) == 2
    result = verify_message(address, MESSAGE, signature, "regtest")
    assert (result.outcome, result.variant, result.valid_at_age) == ("valid", "full", 0xFFFFFFFF)


def test_single_key_psbts():
    k = key(21)
    p2wpkh = script.p2wpkh(k.get_public_key()).address(REGTEST)
    psbt = ExactPSBT.from_string(to_sign_psbt(p2wpkh, MESSAGE, "regtest"))
    psbt.sign_with(k)
    signature, signers = signature_from_psbt(psbt.to_string(), p2wpkh, MESSAGE, "regtest")
    assert signers == (k.get_public_key().sec().hex(),)
    assert verify_message(p2wpkh, MESSAGE, signature, "regtest").outcome == "valid"
    p2tr = script.p2tr(k.get_public_key()).address(REGTEST)
    psbt = ExactPSBT.from_string(to_sign_psbt(p2tr, MESSAGE, "regtest"))
    psbt.sign_with(k)
    signature, signers = signature_from_psbt(psbt.to_string(), p2tr, MESSAGE, "regtest")
    assert verify_message(p2tr, MESSAGE, signature, "regtest").outcome == "valid" and len(signers[0]) == 64


def test_psbt_for_another_message_or_address_is_refused():
    keys, witness_script, address = _multisig()
    psbt = ExactPSBT.from_string(to_sign_psbt(address, MESSAGE, "regtest", witness_script.data))
    psbt.sign_with(keys[0])
    psbt.sign_with(keys[1])
    with pytest.raises(ProofFormatError):
        signature_from_psbt(psbt.to_string(), address, MESSAGE + "!", "regtest")
    other = script.p2wpkh(keys[0].get_public_key()).address(REGTEST)
    with pytest.raises(ProofFormatError):
        signature_from_psbt(psbt.to_string(), other, MESSAGE, "regtest")


@pytest.mark.parametrize(
    "garbage", ["", "not a psbt", base64.b64encode(b"psbt\xff" + b"\xff" * 9).decode(), "cHNidP8=" * 20000]
)
def test_garbage_psbt_is_a_format_error(garbage):
    _, _, address = _multisig()
    with pytest.raises(ProofFormatError):
        signature_from_psbt(garbage, address, MESSAGE, "regtest")


def test_to_sign_psbt_argument_checks():
    keys, witness_script, address = _multisig()
    with pytest.raises(ChainConfigError):
        to_sign_psbt(address, MESSAGE, "regtest")  # P2WSH needs its witness script
    with pytest.raises(ChainConfigError):
        to_sign_psbt(address, MESSAGE, "regtest", b"\x51")
    with pytest.raises(ChainConfigError):
        to_sign_psbt(script.p2pkh(keys[0].get_public_key()).address(REGTEST), MESSAGE, "regtest")
    with pytest.raises(ChainConfigError):
        to_sign_psbt(address, MESSAGE, "main", witness_script.data)
