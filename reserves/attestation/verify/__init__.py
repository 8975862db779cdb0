"""Offline verification of attestations and their hash chain; reports every check by name, never raises."""

from reserves.attestation.verify.chain import verify_chain
from reserves.attestation.verify.document import verify_document
from reserves.attestation.verify.report import Check, VerifyReport

__all__ = ["Check", "VerifyReport", "verify_chain", "verify_document"]
