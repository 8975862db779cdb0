"""The devnet's libsecp256k1 backend for eth-keys gives the bytes eth-keys' own pure-Python one gives."""

from __future__ import annotations

import hashlib

import pytest
from eth_keys import KeyAPI
from eth_keys.backends.native import NativeECCBackend
from eth_keys.exceptions import BadSignature

from chains.devnet.ecc import LibSecp256k1Backend

NATIVE, FAST = KeyAPI(NativeECCBackend()), KeyAPI(LibSecp256k1Backend())


@pytest.mark.parametrize("seed", range(16))
def test_signatures_public_keys_and_recovered_keys_are_the_same(seed):
    secret = hashlib.sha256(b"devnet-ecc secret %d" % seed).digest()
    digest = hashlib.sha256(b"devnet-ecc message %d" % seed).digest()
    native, fast = NATIVE.PrivateKey(secret, backend=NATIVE.backend), FAST.PrivateKey(secret, backend=FAST.backend)
    assert fast.public_key.to_bytes() == native.public_key.to_bytes()
    signed = native.sign_msg_hash(digest)
    assert fast.sign_msg_hash(digest).to_bytes() == signed.to_bytes()  # RFC 6979 nonce, low s: the same bytes
    assert FAST.ecdsa_recover(digest, signed) == NATIVE.ecdsa_recover(digest, signed) == native.public_key


def test_a_signature_that_names_no_key_is_a_bad_signature():
    digest = hashlib.sha256(b"devnet-ecc").digest()
    r_off_the_curve = (5).to_bytes(32, "big")  # x = 5 is on no point of secp256k1
    unusable = NATIVE.Signature(r_off_the_curve + (1).to_bytes(32, "big") + b"\x00")
    for api in (NATIVE, FAST):
        with pytest.raises(BadSignature):
            api.ecdsa_recover(digest, unusable)
