"""Proofs of control: BIP-322 (simple, full, proof of funds) and BIP-137 legacy signed messages, without I/O."""

from .result import FundsInput, ProofFormatError, ProofResult
from .signing import sign_simple, signature_from_psbt, to_sign_psbt
from .verify import verify_message

__all__ = [
    "FundsInput",
    "ProofFormatError",
    "ProofResult",
    "sign_simple",
    "signature_from_psbt",
    "to_sign_psbt",
    "verify_message",
]
