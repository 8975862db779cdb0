"""or_d(multi(k,...), Z) in P2WSH: valid through the multi branch whatever Z is, never through Z or a Z that
could escape its branch (the devnet's `multisig-recovery` wallet is this template)."""

from __future__ import annotations

import pytest
from embit import script
from embit.descriptor import Descriptor
from embit.networks import NETWORKS
from embit.script import Script, Witness

from chains.bitcoin.proofs import ProofFormatError, signature_from_psbt, to_sign_psbt, verify_message
from chains.bitcoin.proofs.signing import ExactPSBT
from chains.bitcoin.proofs.skipped import NotSkippable, skipped_op_count

from .helpers import ecdsa_v0, ful, key, smp, unsigned

NET = NETWORKS["regtest"]
MSG = "or_d check"
KEYS = [key(i) for i in (60, 61, 62, 63)]  # A, B, C in the multi; D the recovery key in Z
PUBS = [k.get_public_key().sec() for k in KEYS]
MULTI = b"\x52" + b"".join(b"\x21" + p for p in PUBS[:3]) + b"\x53\xae"  # 2 <A> <B> <C> 3 CHECKMULTISIG
RECOVERY = f"and_v(v:pk({PUBS[3].hex()}),after(1000000))"
RECOVERY_Z = b"\x21" + PUBS[3] + b"\xad\x03\x40\x42\x0f\xb1"  # <D> CHECKSIGVERIFY 1000000 CLTV


def _or_d(z: bytes) -> bytes:
    return MULTI + b"\x73\x64" + z + b"\x68"  # <multi> IFDUP NOTIF <Z> ENDIF


def _address(ws: bytes) -> str:
    return script.p2wsh(Script(ws)).address(NET)


def _sigs(ws: bytes, signers=(0, 1), message: str = MSG) -> list[bytes]:
    tx = unsigned(_address(ws), message)
    return [ecdsa_v0(tx, ws, KEYS[i]) for i in signers]


def _verify(ws: bytes, items: list[bytes]):
    return verify_message(_address(ws), MSG, smp(items + [ws]), "regtest")


def test_descriptor_matches_the_hand_built_script():
    pubs = ",".join(p.hex() for p in PUBS[:3])
    desc = Descriptor.from_string(f"wsh(or_d(multi(2,{pubs}),{RECOVERY}))")
    assert desc.witness_script().data == _or_d(RECOVERY_Z)


@pytest.mark.parametrize("signers", [(0, 1), (0, 2), (1, 2)])
def test_multi_branch_is_valid(signers):
    ws = _or_d(RECOVERY_Z)
    result = _verify(ws, [b""] + _sigs(ws, signers))
    assert result.outcome == "valid", result.detail
    assert result.signers == tuple(PUBS[i].hex() for i in signers)


@pytest.mark.parametrize("signing", [(0, 1, 2), (2, 0)])
def test_psbt_round_trip(signing):
    ws = _or_d(RECOVERY_Z)
    address = _address(ws)
    psbt = ExactPSBT.from_string(to_sign_psbt(address, MSG, "regtest", ws))
    for i in signing:
        assert psbt.sign_with(KEYS[i]) == 1
    signature, signers = signature_from_psbt(psbt.to_string(), address, MSG, "regtest")
    assert set(signers) == {PUBS[i].hex() for i in signing}
    result = verify_message(address, MSG, signature, "regtest")
    assert (result.outcome, result.variant) == ("valid", "simple"), result.detail


def test_recovery_key_alone_cannot_finalize_a_psbt():
    ws = _or_d(RECOVERY_Z)
    address = _address(ws)
    psbt = ExactPSBT.from_string(to_sign_psbt(address, MSG, "regtest", ws))
    psbt.sign_with(KEYS[3])
    psbt.sign_with(KEYS[0])
    with pytest.raises(ProofFormatError, match="1 valid partial signature"):
        signature_from_psbt(psbt.to_string(), address, MSG, "regtest")


def test_wrong_or_missing_signatures_are_invalid():
    ws = _or_d(RECOVERY_Z)
    s0, s1 = _sigs(ws)
    other_message = _sigs(ws, message=MSG + "!")
    assert _verify(ws, [b""] + other_message).outcome == "invalid"
    assert _verify(ws, [b"", s1, s0]).outcome == "invalid"  # out of key order (NULLFAIL)
    assert _verify(ws, [b""] + _sigs(ws, (0, 3))).outcome == "invalid"  # D is not a multi key
    assert _verify(ws, [b"", s0]).outcome == "invalid"  # too few: CHECKMULTISIG underflows
    assert _verify(ws, [s0]).outcome == "invalid"
    assert _verify(ws, [b"", s0, b""]).outcome == "invalid"  # one signature and an empty one (NULLFAIL)
    assert _verify(ws, [b"\x01", s0, s1]).outcome == "invalid"  # NULLDUMMY
    assert _verify(ws, [b"x", b"", s0, s1]).outcome == "invalid"  # an item left below (CLEANSTACK)


def test_tampered_z_is_invalid():
    ws = _or_d(RECOVERY_Z)
    sigs = [b""] + _sigs(ws)
    tampered = bytearray(ws)
    tampered[-3] ^= 0x01  # a byte of the lock height in Z
    address = _address(ws)
    # The original address: the witness script no longer hashes to it.
    assert verify_message(address, MSG, smp(sigs + [bytes(tampered)]), "regtest").outcome == "invalid"
    # The tampered script's own address: the signatures commit to the original script.
    assert _verify(bytes(tampered), sigs).outcome == "invalid"


def test_z_branch_is_inconclusive():
    ws = _or_d(RECOVERY_Z)
    sig_d = _sigs(ws, (3,))[0]
    for items in ([sig_d, b"", b"", b""], [b"", b"", b""], [b"x", b"", b"", b""]):
        result = _verify(ws, items)
        assert result.outcome == "inconclusive" and "through Z" in result.detail


@pytest.mark.parametrize(
    "z",
    [
        pytest.param(b"\x68\x75\x00\x00\x63", id="ENDIF-DROP-0-0-IF"),  # would run DROP 0 with the multi result
        pytest.param(b"\x67\x75\x00", id="top-level-ELSE"),
        pytest.param(b"\x63\x51", id="IF-without-ENDIF"),
        pytest.param(b"\x7e", id="OP_CAT"),
        pytest.param(b"\x63\x65\x68", id="OP_VERIF-nested"),
        pytest.param(b"\x4d\x09\x02" + bytes(521), id="push-over-520"),
        pytest.param(b"\x4c\x05\x01", id="truncated-push"),
        pytest.param(b"\x61" * 195, id="over-201-ops"),
        pytest.param(b"\xba", id="undefined-opcode"),
    ],
)
def test_z_that_could_escape_or_fail_is_never_valid(z):
    ws = _or_d(z)
    result = _verify(ws, [b""] + _sigs(ws))
    assert result.outcome == "inconclusive" and "or_d(multi, Z) w" in result.detail, result.detail


def test_z_may_nest_and_carry_anything_harmless():
    # Nested IF/ELSE/ENDIF, OP_RETURN, OP_VER, a non-minimal push: all harmless when not executed.
    z = b"\x63\x6a\x67\x62\x4c\x01\x05\x68\x00\x64\x68\x61" * 3
    ws = _or_d(z)
    assert _verify(ws, [b""] + _sigs(ws, (1, 2))).outcome == "valid"
    assert _verify(_or_d(b""), [b""] + _sigs(_or_d(b""))).outcome == "valid"
    assert _verify(_or_d(b"\x61" * 194), [b""] + _sigs(_or_d(b"\x61" * 194))).outcome == "valid"  # 201 ops


def test_multi_without_or_d_tail_is_not_understood():
    for ws in (MULTI + b"\x73\x64", MULTI + b"\x73\x63\x68", MULTI + b"\x64\x73\x68", MULTI + b"\x68"):
        assert _verify(ws, [b""] + _sigs(ws)).outcome == "inconclusive"


def test_p2sh_wrapped_p2wsh_is_understood_too():
    ws = _or_d(RECOVERY_Z)
    redeem = script.p2wsh(Script(ws)).data
    address = script.p2sh(Script(redeem)).address(NET)
    tx = unsigned(address, MSG)
    tx.vin[0].script_sig = Script(bytes([len(redeem)]) + redeem)
    tx.vin[0].witness = Witness([b""] + [ecdsa_v0(tx, ws, KEYS[i]) for i in (1, 2)] + [ws])
    result = verify_message(address, MSG, ful(tx), "regtest")
    assert result.outcome == "valid" and result.signers == (PUBS[1].hex(), PUBS[2].hex()), result.detail


def test_legacy_p2sh_or_d_is_inconclusive():
    # Legacy script code would need FindAndDelete over Z: only the P2WSH form is understood.
    ws = _or_d(RECOVERY_Z)
    address = script.p2sh(Script(ws)).address(NET)
    tx = unsigned(address, MSG)
    sigs = [KEYS[i].sign(tx.sighash_legacy(0, Script(ws), 1)).serialize() + b"\x01" for i in (0, 1)]
    tx.vin[0].script_sig = Script(
        b"\x00" + b"".join(bytes([len(s)]) + s for s in sigs) + b"\x4c" + bytes([len(ws)]) + ws
    )
    result = verify_message(address, MSG, ful(tx), "regtest")
    assert result.outcome == "inconclusive" and "template" in result.detail, result.detail


def test_skipped_op_count():
    assert skipped_op_count(b"") == 0
    assert skipped_op_count(RECOVERY_Z) == 2  # CHECKSIGVERIFY, CLTV; pushes do not count
    assert skipped_op_count(b"\x4e\x01\x00\x00\x00\xff\x63\x67\x68") == 3
    for bad in (b"\x68", b"\x67", b"\x63", b"\x63\x68\x68\x63", b"\x4e\xff", b"\x02\x01", b"\x66"):
        with pytest.raises(NotSkippable):
            skipped_op_count(bad)
