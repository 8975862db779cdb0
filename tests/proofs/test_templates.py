"""Rules a verifier without a full interpreter must still enforce: strict encodings, SIGHASH, templates, upgrades."""

from __future__ import annotations

from embit import bech32, hashes, script
from embit.networks import NETWORKS
from embit.script import Script, Witness
from embit.transaction import SIGHASH
from embit.util import secp256k1

from chains.bitcoin.proofs import verify_message
from chains.bitcoin.proofs.sigcheck import taproot_commits

from .helpers import N, der, ecdsa_v0, ful, key, smp, split_der, unsigned

NET = NETWORKS["regtest"]
MSG = "template check"


def _p2wpkh(i: int = 3):
    k = key(i)
    pub = k.get_public_key().sec()
    address = script.p2wpkh(k.get_public_key()).address(NET)
    code = b"\x76\xa9\x14" + hashes.hash160(pub) + b"\x88\xac"
    return k, pub, address, code


def test_p2wpkh_baseline_valid():
    k, pub, address, code = _p2wpkh()
    sig = ecdsa_v0(unsigned(address, MSG), code, k)
    assert verify_message(address, MSG, smp([sig, pub]), "regtest").outcome == "valid"


def test_high_s_is_invalid():
    k, pub, address, code = _p2wpkh()
    sig = ecdsa_v0(unsigned(address, MSG), code, k)
    r, s = split_der(sig[:-1])
    result = verify_message(address, MSG, smp([der(r, N - s) + b"\x01", pub]), "regtest")
    assert result.outcome == "invalid" and "LOW_S" in result.detail


def test_non_der_is_invalid():
    k, pub, address, code = _p2wpkh()
    sig = ecdsa_v0(unsigned(address, MSG), code, k)
    padded = b"\x30" + bytes([sig[1] + 1]) + sig[2:4] + b"\x00" + sig[4:-1]  # length byte wrong, zero padding
    assert verify_message(address, MSG, smp([padded + b"\x01", pub]), "regtest").outcome == "invalid"


def test_sighash_other_than_all_is_invalid():
    k, pub, address, code = _p2wpkh()
    sig = ecdsa_v0(unsigned(address, MSG), code, k, SIGHASH.NONE)
    result = verify_message(address, MSG, smp([sig, pub]), "regtest")
    assert result.outcome == "invalid" and "SIGHASH_ALL" in result.detail


def test_extra_witness_item_is_invalid():
    k, pub, address, code = _p2wpkh()
    sig = ecdsa_v0(unsigned(address, MSG), code, k)
    assert verify_message(address, MSG, smp([b"", sig, pub]), "regtest").outcome == "invalid"


def _p2tr(i: int = 9):
    k = key(i)
    address = script.p2tr(k.get_public_key()).address(NET)
    return k.taproot_tweak(b""), address


def _schnorr(tweaked, address: str, hash_type: int) -> bytes:
    tx = unsigned(address, MSG)
    spk = script.address_to_scriptpubkey(address)
    digest = tx.sighash_taproot(0, [spk], [0], hash_type)
    sig = secp256k1.schnorrsig_sign(digest, tweaked.secret)
    return sig if hash_type == 0 else sig + bytes([hash_type])


def test_taproot_sighash_all_is_valid_others_invalid():
    tweaked, address = _p2tr()
    assert verify_message(address, MSG, smp([_schnorr(tweaked, address, SIGHASH.ALL)]), "regtest").outcome == "valid"
    explicit_default = _schnorr(tweaked, address, 0) + b"\x00"
    assert verify_message(address, MSG, smp([explicit_default]), "regtest").outcome == "invalid"
    single = _schnorr(tweaked, address, SIGHASH.SINGLE)
    assert verify_message(address, MSG, smp([single]), "regtest").outcome == "invalid"


def test_taproot_script_path_is_inconclusive_when_it_commits():
    internal = key(30)
    leaf = Script(b"\x20" + key(31).xonly() + b"\xac")
    leaf_hash = hashes.tagged_hash("TapLeaf", b"\xc0" + leaf.serialize())
    program = internal.taproot_tweak(leaf_hash).xonly()
    address = Script(b"\x51\x20" + program).address(NET)
    internal = internal.get_public_key()
    # Build the control block by trying both parities of the output key.
    control = next(
        bytes([0xC0 | parity]) + internal.xonly()
        for parity in (0, 1)
        if taproot_commits(program, leaf.data, bytes([0xC0 | parity]) + internal.xonly())
    )
    result = verify_message(address, MSG, smp([b"\x01" * 64, leaf.data, control]), "regtest")
    assert result.outcome == "inconclusive" and "script path" in result.detail
    forged = verify_message(address, MSG, smp([b"\x01" * 64, b"\x51", control]), "regtest")
    assert forged.outcome == "invalid"


def test_future_witness_version_is_inconclusive():
    for version, program in ((2, b"\x11" * 32), (16, b"\x22" * 2), (1, b"\x33" * 20)):
        address = bech32.encode("bcrt", version, program)
        result = verify_message(address, MSG, smp([b"\x01"]), "regtest")
        assert result.outcome == "inconclusive" and "reserved for upgrades" in result.detail


def _full_p2wpkh(version: int, locktime: int = 0, sequence: int = 0):
    k, pub, address, code = _p2wpkh(4)
    tx = unsigned(address, MSG)
    tx.version, tx.locktime, tx.vin[0].sequence = version, locktime, sequence
    tx.vin[0].witness = Witness([ecdsa_v0(tx, code, k), pub])
    return address, tx


def test_to_sign_version_rule_and_time_locks():
    address, tx = _full_p2wpkh(2, 800_000, 144)
    result = verify_message(address, MSG, ful(tx), "regtest")
    assert (result.outcome, result.valid_at_time, result.valid_at_age) == ("valid", 800_000, 144)
    address, tx = _full_p2wpkh(1)
    result = verify_message(address, MSG, ful(tx), "regtest")
    assert result.outcome == "inconclusive" and "version" in result.detail


def test_full_with_extra_input_is_invalid():
    address, tx = _full_p2wpkh(0)
    extra = type(tx.vin[0])(b"\x22" * 32, 1, sequence=0)
    tx.vin.append(extra)
    assert verify_message(address, MSG, ful(tx), "regtest").outcome == "invalid"


def test_simple_cannot_satisfy_p2pkh():
    k = key(8)
    address = script.p2pkh(k.get_public_key()).address(NET)
    result = verify_message(address, MSG, smp([b"\x01"]), "regtest")
    assert result.outcome == "invalid" and "full format" in result.detail


def _p2wsh(witness_script: Script):
    address = script.p2wsh(witness_script).address(NET)
    return address, unsigned(address, MSG)


def test_p2wsh_single_key_checksig():
    k = key(40)
    ws = Script(b"\x21" + k.get_public_key().sec() + b"\xac")
    address, tx = _p2wsh(ws)
    sig = ecdsa_v0(tx, ws.data, k)
    result = verify_message(address, MSG, smp([sig, ws.data]), "regtest")
    assert result.outcome == "valid" and result.signers == (k.get_public_key().sec().hex(),)


def test_multisig_rules():
    keys = [key(i) for i in (50, 51, 52)]
    ws = script.multisig(2, [k.get_public_key() for k in keys])
    address, tx = _p2wsh(ws)
    s0, s1 = (ecdsa_v0(tx, ws.data, k) for k in keys[:2])
    assert verify_message(address, MSG, smp([b"", s0, s1, ws.data]), "regtest").outcome == "valid"
    assert verify_message(address, MSG, smp([b"", s1, s0, ws.data]), "regtest").outcome == "invalid"  # out of order
    assert verify_message(address, MSG, smp([b"\x01", s0, s1, ws.data]), "regtest").outcome == "invalid"  # NULLDUMMY
    assert verify_message(address, MSG, smp([b"", s0, ws.data]), "regtest").outcome == "invalid"  # too few
    assert verify_message(address, MSG, smp([b"", s0, b"", ws.data]), "regtest").outcome == "invalid"


def test_other_witness_script_is_inconclusive():
    ws = Script(b"\x51")  # OP_TRUE: anyone can spend, but not a template we understand
    address, _ = _p2wsh(ws)
    result = verify_message(address, MSG, smp([ws.data]), "regtest")
    assert result.outcome == "inconclusive" and "template" in result.detail
