"""The devnet EVMs' secp256k1: eth-keys signing and sender recovery on libsecp256k1 (embit's bundled build).

py-evm recovers the sender of every transaction from its signature, twice (validation, then
execution), and eth-tester signs each one; eth-keys does both in pure Python unless another backend
is named, at about 10 ms a recovery. A devnet start sends ~35 transactions and each block a few
more, so that arithmetic was half the CPU of a devnet. libsecp256k1 gives the same bytes: RFC 6979
nonces and low-s signatures both ways, the same recovered keys; verification and key compression
stay eth-keys' own.
"""

from __future__ import annotations

import os

from embit.util import secp256k1
from eth_keys.backends.native import NativeECCBackend
from eth_keys.datatypes import PrivateKey, PublicKey, Signature
from eth_keys.exceptions import BadSignature

BACKEND_ENV = "ECC_BACKEND_CLASS"  # eth-keys reads it at each signature it makes or recovers


class LibSecp256k1Backend(NativeECCBackend):
    """eth-keys' native backend with signing, recovery and public keys done by libsecp256k1."""

    def ecdsa_sign(self, msg_hash: bytes, private_key: PrivateKey) -> Signature:
        sig = secp256k1.ecdsa_sign_recoverable(msg_hash, private_key.to_bytes())
        compact, recid = secp256k1.ecdsa_recoverable_signature_serialize_compact(sig)
        return Signature(compact + bytes([recid]), backend=self)

    def ecdsa_recover(self, msg_hash: bytes, signature: Signature) -> PublicKey:
        try:
            sig = secp256k1.ecdsa_recoverable_signature_parse_compact(signature.to_bytes()[:64], signature.v)
            point = secp256k1.ecdsa_recover(sig, msg_hash)
        except ValueError as exc:
            raise BadSignature(f"Invalid signature: {exc}") from exc
        return PublicKey(_uncompressed(point), backend=self)

    def private_key_to_public_key(self, private_key: PrivateKey) -> PublicKey:
        return PublicKey(_uncompressed(secp256k1.ec_pubkey_create(private_key.to_bytes())), backend=self)


def _uncompressed(point: bytes) -> bytes:
    """The 64-byte x||y eth-keys keeps, from libsecp256k1's internal public key."""
    return secp256k1.ec_pubkey_serialize(point, secp256k1.EC_UNCOMPRESSED)[1:]


def use_libsecp256k1() -> None:
    """Name this backend to eth-keys (for the whole process: py-evm asks eth-keys without saying which),
    unless a backend is named already or embit runs without its compiled library (its pure-Python
    fallback would be no faster)."""
    if secp256k1.ecdsa_recover.__module__.endswith("ctypes_secp256k1"):
        os.environ.setdefault(BACKEND_ENV, f"{__name__}.{LibSecp256k1Backend.__name__}")
