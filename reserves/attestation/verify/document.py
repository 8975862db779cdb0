"""Offline verification of one attestation: shape, schema and id, then the signature check and the checks its
format's row lists."""

from __future__ import annotations

from typing import Any

from reserves.attestation import formats
from reserves.attestation.canonical import MAX_DEPTH, attestation_id, check_domain, parse_json
from reserves.attestation.formats import Step
from reserves.attestation.members.guardians import Options
from reserves.attestation.verify.report import VerifyReport
from reserves.errors import InvalidInput, ReservesError


def _unwrap(value: Any, report: VerifyReport) -> tuple[dict | None, str | None]:
    """(document, claimed id) from JSON text, a document, or an `{"id", "attestation"}` envelope."""
    if isinstance(value, (str, bytes, bytearray)):
        try:
            value = parse_json(value)
        except InvalidInput as exc:
            report.add("json", False, exc.detail)
            return None, None
    if not isinstance(value, dict):
        report.add("json", False, f"expected a JSON object, got {type(value).__name__}")
        return None, None
    if set(value) == {"id", "attestation"}:
        claimed, document = value["id"], value["attestation"]
        if not isinstance(document, dict) or not isinstance(claimed, str):
            report.add("json", False, "envelope needs a string id and an object attestation")
            return None, None
        report.add("json", True, "envelope with id and attestation")
        return document, claimed
    report.add("json", True, "bare attestation document")
    return value, None


def verify_document(
    document_or_envelope: Any,
    *,
    trusted_keys: dict[str, str] | None,
    require_signatures: int = 1,
    allow_pending: bool = False,
    guardian_pins: dict[str, str] | None = None,
    guardian_threshold: int | None = None,
) -> VerifyReport:
    """Verify one attestation: shape, schema, id, signatures, trust, links, arithmetic, status.

    `trusted_keys` maps x-only pubkey hex -> key_id (a label: trust is by pubkey); None fails the
    trust check ("no trusted keys given"). At least `require_signatures` distinct trusted keys
    must have signed validly (format 4: the engine key, or the key a rotation replaced).
    Format 4 with a guardian set: fewer valid guardian signatures than its threshold fail the
    `guardians` check unless `allow_pending`; `guardian_pins` restricts which guardians count and
    `guardian_threshold` how many must sign at least, whatever the document declares.
    Accepts JSON text, a document, or an envelope; never raises.
    """
    options = Options(allow_pending, guardian_pins, guardian_threshold)
    return verify_one(document_or_envelope, trusted_keys, require_signatures, options)[0]


STRICT = Options()  # no pending attestation, no guardian pins (frozen, so one instance serves every call)


def verify_one(
    value: Any, trusted_keys: Any, require_signatures: int, options: Options = STRICT
) -> tuple[VerifyReport, dict | None]:
    """The report, and the document when it passed the schema (so its members can be read)."""
    report = VerifyReport()
    try:
        return report, _verify_into(report, value, trusted_keys, require_signatures, options)
    except (RecursionError, MemoryError, ReservesError, ValueError, TypeError, KeyError, ArithmeticError) as exc:
        # A check let hostile input through; report instead of crashing the caller.
        report.add("internal", False, f"verification stopped: {type(exc).__name__}")
        return report, None


def _verify_into(
    report: VerifyReport, value: Any, trusted_keys: Any, require_signatures: int, options: Options
) -> dict | None:
    document, claimed = _unwrap(value, report)
    if document is None:
        return None
    try:
        check_domain(document, "$", 0)
    except InvalidInput as exc:
        report.add("domain", False, exc.detail)
        return None
    report.add("domain", True, f"JSON-safe values, depth <= {MAX_DEPTH}")
    errors = formats.schema_errors(document)
    if not report.add("schema", not errors, "; ".join(errors) or f"valid {document['format']}"):
        return None
    try:
        computed = attestation_id(document)
    except InvalidInput as exc:
        report.add("id", False, exc.detail)
        return None
    report.id = computed
    if claimed is None:
        report.add("id", True, f"computed {computed} (no envelope id to compare)")
    else:
        report.add("id", claimed == computed, f"computed {computed}, envelope says {claimed[:80]}")
    row = formats.of(document)  # schema-valid, so a format of the table
    row.signatures(document, computed, trusted_keys, require_signatures, options, report.add)
    for step in row.checks:
        _run(report, step, document)
    return document


def _run(report: VerifyReport, step: Step, document: dict) -> None:
    try:
        problems = step.run(document)
    except InvalidInput as exc:
        problems = [exc.detail]
    report.add(step.name, not problems, "; ".join(problems[:10]) or step.note)
