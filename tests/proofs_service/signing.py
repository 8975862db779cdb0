"""Signing helpers for tests: BIP-322 simple signatures and a PSBT signed by chosen cosigners."""

from __future__ import annotations

from embit.psbt import PSBT

from tests.proofs_service.helpers import NETWORK


def sign(address: str, message: str, key) -> str:
    from chains.bitcoin.proofs import sign_simple

    return sign_simple(address, message, key, NETWORK)


def sign_psbt(psbt_b64: str, keys: list) -> str:
    psbt = PSBT.from_string(psbt_b64)
    for key in keys:
        psbt.sign_with(key)
    return psbt.to_string()
