"""Attestations: canonical bytes, ids, BIP-340 signatures, chain links, verification; one module per member
(members/), one table of formats (formats.py)."""

from reserves.attestation.arithmetic import Policy, decide_status, liabilities_sat, ratio_bp
from reserves.attestation.builder import Built, Entries, Inputs, build
from reserves.attestation.canonical import attestation_id, canonical_bytes, envelope, parse_json, split
from reserves.attestation.formats import FORMAT, FORMAT_1, FORMAT_2, FORMAT_3, FORMAT_4, load_schema
from reserves.attestation.keys import SigningKey, generate_key_file, load_signing_key, verify_bip340
from reserves.attestation.members.header import Header
from reserves.attestation.members.reserves import ReserveResult, ReserveSetRef
from reserves.attestation.members.signatures import sign
from reserves.attestation.members.supply import SupplyResult
from reserves.attestation.verify import Check, VerifyReport, verify_chain, verify_document

__all__ = [
    "FORMAT",
    "FORMAT_1",
    "FORMAT_2",
    "FORMAT_3",
    "FORMAT_4",
    "Built",
    "Check",
    "Entries",
    "Header",
    "Inputs",
    "Policy",
    "ReserveResult",
    "ReserveSetRef",
    "SigningKey",
    "SupplyResult",
    "VerifyReport",
    "attestation_id",
    "build",
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
