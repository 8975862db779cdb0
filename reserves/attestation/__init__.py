"""Attestations: canonical bytes, ids, BIP-340 signatures, chain links, verification."""

from reserves.attestation.arithmetic import Policy, decide_status, liabilities_sat, ratio_bp
from reserves.attestation.canonical import attestation_id, canonical_bytes, parse_json, split
from reserves.attestation.document import ReserveResult, ReserveSetRef, SupplyResult, build_body, envelope, sign
from reserves.attestation.keys import SigningKey, generate_key_file, load_signing_key, verify_bip340
from reserves.attestation.schema import FORMAT, FORMAT_1, FORMAT_2, load_schema
from reserves.attestation.verify import Check, VerifyReport, verify_chain, verify_document

__all__ = [
    "FORMAT",
    "FORMAT_1",
    "FORMAT_2",
    "Check",
    "Policy",
    "ReserveResult",
    "ReserveSetRef",
    "SigningKey",
    "SupplyResult",
    "VerifyReport",
    "attestation_id",
    "build_body",
    "canonical_bytes",
    "decide_status",
    "envelope",
    "generate_key_file",
    "liabilities_sat",
    "load_schema",
    "load_signing_key",
    "parse_json",
    "ratio_bp",
    "sign",
    "split",
    "verify_bip340",
    "verify_chain",
    "verify_document",
]
