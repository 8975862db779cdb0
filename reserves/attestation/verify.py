"""Offline verification of attestations and their hash chain; reports every check by name, never raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from reserves.attestation import arithmetic as ar
from reserves.attestation.canonical import MAX_DEPTH, check_domain, attestation_id, parse_json
from reserves.attestation import supply_entries, verify_reserves
from reserves.attestation.document import derive, derive_totals
from reserves.attestation.keys import verify_bip340_hex
from reserves.attestation import verify_v4
from reserves.attestation.schema import FORMAT, FORMAT_1, FORMAT_2, FORMAT_3, schema_errors
from reserves.errors import InvalidInput, ReservesError


@dataclass(frozen=True)
class Check:
    """One named verification step; `detail` says what was found (the reason when `ok` is False)."""

    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class VerifyReport:
    """Result of verifying one attestation or a chain. `ok` iff every check passed (and there is one).

    `id` is the computed attestation id when it could be computed; for a chain, the id of the
    last attestation.
    """

    checks: list[Check] = field(default_factory=list)
    id: str | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    def to_dict(self) -> dict:
        return {"ok": self.ok, "id": self.id, "checks": [c.to_dict() for c in self.checks]}


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
    options = verify_v4.Options(allow_pending, guardian_pins, guardian_threshold)
    return _verify(document_or_envelope, trusted_keys, require_signatures, options)[0]


def _verify(value: Any, trusted_keys, require_signatures: int,
            options: verify_v4.Options = verify_v4.Options()) -> tuple[VerifyReport, dict | None]:
    """The report, and the document when it passed the schema (so its members can be read)."""
    report = VerifyReport()
    try:
        return report, _verify_into(report, value, trusted_keys, require_signatures, options)
    except (RecursionError, MemoryError, ReservesError, ValueError, TypeError, KeyError) as exc:
        # A check let hostile input through; report instead of crashing the caller.
        report.add("internal", False, f"verification stopped: {type(exc).__name__}")
        return report, None


def _verify_into(report: VerifyReport, value: Any, trusted_keys, require_signatures: int,
                 options: verify_v4.Options) -> dict | None:
    document, claimed = _unwrap(value, report)
    if document is None:
        return None
    try:
        check_domain(document, "$", 0)
    except InvalidInput as exc:
        report.add("domain", False, exc.detail)
        return None
    report.add("domain", True, f"JSON-safe values, depth <= {MAX_DEPTH}")
    errors = schema_errors(document)
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
    if document["format"] == FORMAT:
        verify_v4.check_signatures(report, document, computed, _trusted_map(trusted_keys), require_signatures,
                                   options)
    else:
        _check_signatures(report, document, bytes.fromhex(computed), trusted_keys, require_signatures)
    _check_link(report, document)
    for name, step in _STEPS[document["format"]]:
        _run(report, name, step, document)
    return document


def _trusted_map(trusted_keys: Any) -> dict[str, str] | str:
    """Lowercased {pubkey hex: key_id}, or the reason the given trust anchors are unusable."""
    if trusted_keys is None:
        return "no trusted keys given"
    if not isinstance(trusted_keys, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in trusted_keys.items()
    ):
        return "trusted keys must map x-only pubkey hex to key_id"
    return {k.lower(): v for k, v in trusted_keys.items()}


def _check_signatures(report, document, digest32: bytes, trusted_keys, require: int) -> None:
    trusted = _trusted_map(trusted_keys)
    if isinstance(trusted, str):
        report.add("trusted", False, trusted)
    good_trusted = set()
    for i, entry in enumerate(document["signatures"]):
        valid = verify_bip340_hex(entry["pubkey"], digest32, entry["sig"])
        report.add(f"signature[{i}]", valid, f"{entry['key_id']}: " + ("valid BIP-340" if valid else "invalid BIP-340 signature"))
        if isinstance(trusted, str):
            continue
        label = trusted.get(entry["pubkey"])
        if label is None:
            report.add(f"trusted[{i}]", False, f"pubkey {entry['pubkey']} is not a trusted key")
            continue
        # key_id sits outside the signed body: it is a label, the pubkey is the identity, so a
        # different label is worth showing but proves nothing either way.
        note = "" if label == entry["key_id"] else f" (the signature calls it {entry['key_id'][:64]})"
        report.add(f"trusted[{i}]", True, f"trusted key {label}{note}")
        if valid:
            good_trusted.add(entry["pubkey"])
    if isinstance(require, bool) or not isinstance(require, int) or require < 1:
        report.add("signatures", False, "require_signatures must be an integer >= 1")
        return
    n = len(good_trusted)
    report.add("signatures", n >= require, f"{n} distinct trusted valid signer(s), {require} required")


def _check_link(report: VerifyReport, document: dict) -> None:
    first = document["sequence"] == 0
    ok = first == (document["previous"] is None)
    report.add("link", ok, "previous is null iff sequence is 0" if ok else
               f"sequence {document['sequence']} with previous {document['previous']}")


def _run(report: VerifyReport, name: str, step: Callable[[dict], list[str]], document: dict) -> None:
    try:
        problems = step(document)
    except InvalidInput as exc:
        problems = [exc.detail]
    report.add(name, not problems, "; ".join(problems[:10]) or "consistent")


def _timestamps(doc: dict) -> list[str]:
    moments = [doc["issued_at"]]
    moments += [e["block_time"] for e in doc["reserves"]["sources"] + doc["supply"]["deployments"] if "block_time" in e]
    problems = []
    for text in moments:
        try:
            ar.parse_timestamp(text)
        except InvalidInput as exc:
            problems.append(exc.detail)
    return problems


def _policy(doc: dict) -> list[str]:
    ar.Policy.from_json(doc["policy"])  # raises InvalidInput below 10000
    return []


def _reserves(doc: dict) -> list[str]:
    problems, seen = [], set()
    sources = doc["reserves"]["sources"]
    if len({s["name"] for s in sources}) != len(sources):
        problems.append("reserve source names repeat")
    for s in (s for s in sources if "error" not in s):
        total = sum(int(u["value_sat"]) for u in s["utxos"])
        if total != int(s["total_sat"]):
            problems.append(f"{s['name']}: total_sat {s['total_sat']} but utxos sum to {total}")
        if s["utxo_count"] != len(s["utxos"]):
            problems.append(f"{s['name']}: utxo_count {s['utxo_count']} but {len(s['utxos'])} utxos listed")
        for u in s["utxos"]:
            outpoint = (u["txid"], u["vout"])
            if outpoint in seen:
                problems.append(f"{s['name']}: outpoint {u['txid']}:{u['vout']} counted twice")
            seen.add(outpoint)
    return problems


def _supply(doc: dict) -> list[str]:
    """Each read entry's supply_sat (and, format 3, circulating) against its format's rule."""
    problems = []
    deployments = doc["supply"]["deployments"]
    if len({d["name"] for d in deployments}) != len(deployments):
        problems.append("supply deployment names repeat")
    by_name = {d["name"]: d for d in deployments}
    for d in (d for d in deployments if "error" not in d):
        try:
            expected = supply_entries.counted(d, by_name)
        except InvalidInput as exc:
            problems.append(exc.detail)
            continue
        if "circulating" in d and int(d["circulating"]) != expected.circulating:
            problems.append(f"{d['name']}: circulating {d['circulating']} but the {d['role']} rule gives "
                            f"{expected.circulating}")
        if int(d["supply_sat"]) != expected.supply_sat:
            rule = f"the {d['role']} rule" if "role" in d else "ceil rounding"
            problems.append(f"{d['name']}: supply_sat {d['supply_sat']} but {rule} gives {expected.supply_sat}")
    return problems


def _held(doc: dict) -> list[str]:
    """Format 3: held lists that subtract once and bridges linked to their native source's lockboxes."""
    deployments = doc["supply"]["deployments"]
    problems = [f"{d['name']}: {p}" for d in deployments if "error" not in d for p in supply_entries.held_problems(d)]
    return problems + supply_entries.link_problems(deployments)


def _rpc(doc: dict) -> list[str]:
    deployments = doc["supply"]["deployments"]
    return [f"{d['name']}: {p}" for d in deployments if "error" not in d for p in supply_entries.rpc_problems(d)]


def _summary(doc: dict):
    policy = ar.Policy.from_json(doc["policy"])
    issued = ar.parse_timestamp(doc["issued_at"])
    return derive(doc["reserves"]["sources"], doc["supply"]["deployments"], issued, policy)


def _derived_totals(doc: dict):
    # A schema-valid count_locked is a bool; the policy check reports a bad threshold separately.
    count_locked = doc["policy"].get("count_locked", True)
    return derive_totals(doc["reserves"]["sources"], doc["supply"]["deployments"], count_locked)


def _totals(doc: dict) -> list[str]:
    t = _derived_totals(doc)
    res = doc["reserves"]
    problems = []
    if int(res["total_sat"]) != t.reserves_sat:
        rule = "" if doc["format"] == FORMAT_1 else " (spendable, plus locked when policy.count_locked)"
        problems.append(f"reserves.total_sat {res['total_sat']} but the utxos of read sources give {t.reserves_sat}{rule}")
    if doc["format"] != FORMAT_1:
        for key, value in (("spendable_sat", t.spendable_sat), ("locked_sat", t.locked_sat)):
            if int(res[key]) != value:
                problems.append(f"reserves.{key} {res[key]} but the utxos of read sources give {value}")
    if res["utxo_count"] != t.utxo_count:
        problems.append(f"reserves.utxo_count {res['utxo_count']} but read sources list {t.utxo_count}")
    if int(doc["supply"]["total_sat"]) != t.supply_sat:
        problems.append(f"supply.total_sat {doc['supply']['total_sat']} but read deployments round up to {t.supply_sat}")
    return problems


def _ratio(doc: dict) -> list[str]:
    expected = _derived_totals(doc).ratio_bp
    claimed = doc["ratio_bp"]
    if (None if claimed is None else int(claimed)) != expected:
        return [f"ratio_bp {claimed} but the rule gives {expected} (floor; null if a source failed or supply is 0)"]
    return []


def _status(doc: dict) -> list[str]:
    s = _summary(doc)
    problems = []
    if doc["status"] != s.status:
        problems.append(f"status {doc['status']} but the rule gives {s.status}")
    if doc["status_reasons"] != s.status_reasons:
        problems.append(f"status_reasons differ from the rule's: {s.status_reasons}")
    return problems


# Only `status` needs the timestamps and the policy; it fails with their fault when they are bad.
_ARITHMETIC: list[tuple[str, Callable[[dict], list[str]]]] = [
    ("timestamps", _timestamps),
    ("policy", _policy),
    ("reserves", _reserves),
    ("supply", _supply),
    ("totals", _totals),
    ("ratio", _ratio),
    ("status", _status),
]
_FORMAT_2: list[tuple[str, Callable[[dict], list[str]]]] = [
    ("wallets", verify_reserves.wallets),
    ("counting", verify_reserves.counting),
    ("valid_at", verify_reserves.valid_at),
]
_FORMAT_3: list[tuple[str, Callable[[dict], list[str]]]] = [
    ("held", _held),
    ("rpc", _rpc),
]
# Format 4 derives its status with hysteresis and the window cap (verify_v4.status) instead.
_FORMAT_4: list[tuple[str, Callable[[dict], list[str]]]] = [
    ("window", verify_v4.window_alone),
    ("flows", verify_v4.flows_alone),
    ("scope", verify_v4.scope),
]
_ARITHMETIC_4 = [(n, verify_v4.status if n == "status" else f) for n, f in _ARITHMETIC]
_STEPS = {FORMAT_1: _ARITHMETIC, FORMAT_2: _ARITHMETIC + _FORMAT_2, FORMAT_3: _ARITHMETIC + _FORMAT_2 + _FORMAT_3,
          FORMAT: _ARITHMETIC_4 + _FORMAT_2 + _FORMAT_3 + _FORMAT_4}


# The chain verifier uses the single-document one above; imported last, it re-exports verify_chain.
from reserves.attestation.verify_chain import verify_chain  # noqa: E402,F401
