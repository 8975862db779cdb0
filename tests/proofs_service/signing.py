"""Signing helpers for tests: BIP-322 simple signatures and a to_sign PSBT signed by chosen cosigners."""

from __future__ import annotations

from reserves.proofs.library import cosign_to_sign_psbt
from tests.proofs_service.helpers import NETWORK


def sign(address: str, message: str, key) -> str:
    from chains.bitcoin.proofs import sign_simple

    return sign_simple(address, message, key, NETWORK)


def sign_psbt(psbt_b64: str, keys: list) -> str:
    return cosign_to_sign_psbt(psbt_b64, keys)
