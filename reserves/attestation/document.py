"""Building attestation bodies from chain readings, deriving their totals and status, signing them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from chains.base import ReserveReading, SupplyReading
from reserves.attestation import arithmetic as ar
from reserves.attestation import reserve_entries as re_
from reserves.attestation import supply_entries
from reserves.attestation.canonical import attestation_id, canonical_bytes, digest
from reserves.attestation.fields import MAX_DETAIL, count as _count
from reserves.attestation.fields import error_json as _error_json
from reserves.attestation.keys import SigningKey
from reserves.attestation.schema import FORMAT_3, schema_errors
from reserves.errors import InvalidInput, SigningKeyError

_ID = re.compile(r"^[0-9a-f]{64}$")
__all__ = ["MAX_DETAIL", "ReserveResult", "ReserveSetRef", "SupplyResult", "build_body", "derive", "derive_totals", "source_entry",
           "envelope", "sign", "utc_now"]


@dataclass(frozen=True)
class ReserveResult:
    """Outcome of reading one reserve source: a `reading`, or an `error_code` (+ `error_detail`).

    `max_age_seconds`: the reading is stale when its block is older than issued_at minus this.
    `wallets`: names of the wallets the source declares, listed in its totals even when empty.
    """

    name: str
    kind: str
    max_age_seconds: int
    reading: ReserveReading | None = None
    error_code: str | None = None
    error_detail: str | None = None
    wallets: tuple[str, ...] = ()

    @classmethod
    def failed(cls, name: str, kind: str, max_age_seconds: int, exc: BaseException) -> ReserveResult:
        """A failed read; uses the error's `code`/`detail`, never str(exc) (it may hold URLs with keys)."""
        code, detail = _error_parts(exc)
        return cls(name, kind, max_age_seconds, None, code, detail)


@dataclass(frozen=True)
class SupplyResult:
    """Outcome of reading one token deployment; `chain_id`/`contract` come from configuration so a
    failed deployment still says which one it was."""

    name: str
    kind: str
    chain_id: str
    contract: str
    max_age_seconds: int
    reading: SupplyReading | None = None
    error_code: str | None = None
    error_detail: str | None = None
    # "native", or "bridge" (a lock-and-mint representation of the native deployment `bridge_source`).
    role: str = "native"
    bridge_source: str | None = None

    @classmethod
    def failed(
        cls, name: str, kind: str, chain_id: str, contract: str, max_age_seconds: int, exc: BaseException
    ) -> SupplyResult:
        code, detail = _error_parts(exc)
        return cls(name, kind, chain_id, contract, max_age_seconds, None, code, detail)


@dataclass(frozen=True)
class ReserveSetRef:
    """The reserve-set version an attestation was made with: `version` >= 1 and the sha256 hex of
    its canonical declaration (see reserves/declarations/reserve_set.py)."""

    version: int
    hash: str

    def to_json(self) -> dict:
        if isinstance(self.version, bool) or not isinstance(self.version, int) or not 1 <= self.version <= 2**53 - 1:
            raise InvalidInput("reserve_set version must be an integer >= 1")
        if not isinstance(self.hash, str) or not _ID.fullmatch(self.hash):
            raise InvalidInput("reserve_set hash must be 64 lowercase hex characters")
        return {"version": self.version, "hash": self.hash}


def _error_parts(exc: BaseException) -> tuple[str, str]:
    code = getattr(exc, "code", None)
    detail = getattr(exc, "detail", None)
    return (code if isinstance(code, str) else "error"), (detail if isinstance(detail, str) else type(exc).__name__)


def _source_json(r: ReserveResult) -> dict:
    """JSON of one reserve source; a reading that breaks an invariant becomes a failed entry."""
    if r.reading is None:
        return {"name": r.name, "kind": r.kind, "error": _error_json(r.error_code or "error", r.error_detail)}
    try:
        return re_.source_json(r.name, r.kind, r.max_age_seconds, r.reading, r.wallets)
    except (InvalidInput, AttributeError, TypeError) as exc:
        detail = exc.detail if isinstance(exc, InvalidInput) else "malformed reading"
        return {"name": r.name, "kind": r.kind, "error": _error_json("invalid_reading", detail)}


def source_entry(r: ReserveResult) -> dict:
    """The JSON entry of one reserve source as attestations carry it (a failed read: an error entry)."""
    return _source_json(r)


def _deployment_json(s: SupplyResult) -> dict:
    """JSON of one deployment without its counts (`supply_entries.fill_counts` adds them)."""
    head = {"name": s.name, "kind": s.kind, "chain_id": s.chain_id, "contract": s.contract}
    if s.reading is None:
        return {**head, "error": _error_json(s.error_code or "error", s.error_detail)}
    try:
        return supply_entries.deployment_json(s, head)
    except (InvalidInput, AttributeError, TypeError) as exc:
        detail = exc.detail if isinstance(exc, InvalidInput) else "malformed reading"
        return {**head, "error": _error_json("invalid_reading", detail)}


@dataclass(frozen=True)
class Totals:
    """Reserve and supply figures of schema-valid entries, from primary data (satoshis).

    `reserves_sat` = spendable + (locked when the policy counts locked outputs); `utxo_count`
    counts every counted output, locked or not; `ratio_bp` is None when an entry failed or supply is 0.
    """

    reserves_sat: int
    spendable_sat: int
    locked_sat: int
    utxo_count: int
    supply_sat: int
    ratio_bp: int | None


@dataclass(frozen=True)
class Summary:
    """What the rules derive from the sources of a body; the engine writes it, the verifier compares."""

    totals: Totals
    status: str
    status_reasons: list[str]


def derive_totals(sources: list[dict], deployments: list[dict], count_locked: bool = True) -> Totals:
    """The totals of schema-valid entries, recomputed from primary data.

    From each utxo's value and lock and each deployment's total_supply, decimals and held balances
    (format 3: native minus held, a bridge max(minted, locked); see supply_entries) rather than the
    entries' own totals, so a wrong per-entry total is reported once, where it is. Failed entries
    count nothing. Format 1 utxos have no `lock`: all spendable.
    """
    read_sources = [s for s in sources if "error" not in s]
    read_deps = [d for d in deployments if "error" not in d]
    spendable, locked = re_.split_sat(u for s in read_sources for u in s["utxos"])
    reserves_total = spendable + (locked if count_locked else 0)
    utxo_count = sum(len(s["utxos"]) for s in read_sources)
    supply_total = supply_entries.supply_sat_total(deployments)
    any_failed = len(read_sources) != len(sources) or len(read_deps) != len(deployments)
    ratio = None if any_failed else ar.ratio_bp(reserves_total, supply_total)
    return Totals(reserves_total, spendable, locked, utxo_count, supply_total, ratio)


def derive(
    sources: list[dict], deployments: list[dict], issued_at: datetime, policy: ar.Policy
) -> Summary:
    """Totals, ratio, status and reasons of schema-valid entries: what the body must claim."""
    totals = derive_totals(sources, deployments, policy.count_locked)
    observations = [_observation("reserve source", s) for s in sources]
    observations += [_observation("supply deployment", d) for d in deployments]
    status, reasons = ar.decide_status(
        issued_at=issued_at, observations=observations, ratio=totals.ratio_bp, liabilities=totals.supply_sat,
        policy=policy,
    )
    return Summary(totals, status, reasons)


def _observation(label: str, entry: dict) -> ar.Observation:
    if "error" in entry:
        return ar.Observation(label, entry["name"], error_code=entry["error"]["code"])
    return ar.Observation(
        label, entry["name"], block_time=ar.parse_timestamp(entry["block_time"]),
        max_age_seconds=entry["max_age_seconds"],
    )


def _check_header(sequence: int, previous: str | None, issued_at: datetime) -> None:
    _count(sequence, "sequence")
    if (sequence == 0) != (previous is None):
        raise InvalidInput("previous must be null exactly when sequence is 0")
    if previous is not None and not (isinstance(previous, str) and _ID.match(previous)):
        raise InvalidInput("previous must be a lowercase hex attestation id")
    ar.format_timestamp(issued_at)


def _unique_names(entries: list[dict], what: str) -> None:
    names = [e["name"] for e in entries]
    if len(set(names)) != len(names):
        raise InvalidInput(f"{what} names must be unique")


def build_body(
    *,
    sequence: int,
    previous: str | None,
    issued_at: datetime,
    issuer_name: str,
    issuer_url: str | None,
    token_symbol: str,
    policy: ar.Policy,
    reserve_results: list[ReserveResult],
    supply_results: list[SupplyResult],
    reserve_set: ReserveSetRef,
) -> dict:
    """The unsigned body of attestation `sequence`, with totals, ratio and status derived here.

    `reserve_set` names the declaration version the sources were configured from.
    `issued_at` is tz-aware (kept to whole seconds, UTC). Sources and deployments are sorted by
    name, utxos by outpoint, so equal inputs give equal ids. A reading that breaks an invariant
    is published as a failed entry (`invalid_reading`), which makes the status stale. Raises
    InvalidInput for a bad header, duplicate names, an outpoint claimed by two sources, or a body
    the schema rejects.
    """
    _check_header(sequence, previous, issued_at)
    sources = sorted((_source_json(_as(ReserveResult, r)) for r in reserve_results), key=lambda e: e["name"])
    deployments = sorted((_deployment_json(_as(SupplyResult, s)) for s in supply_results), key=lambda e: e["name"])
    _unique_names(sources, "reserve source")
    _unique_names(deployments, "supply deployment")
    links = supply_entries.link_problems(deployments)
    if links:
        raise InvalidInput("deployments are not linked as the counting rule needs: " + "; ".join(links[:5]))
    supply_entries.fill_counts(deployments)
    outpoints = [(u["txid"], u["vout"]) for s in sources for u in s.get("utxos", ())]
    if len(set(outpoints)) != len(outpoints):
        raise InvalidInput("an outpoint is counted by two reserve sources; deduplicate before building")
    issued = ar.format_timestamp(issued_at)
    summary = derive(sources, deployments, ar.parse_timestamp(issued), policy)
    t = summary.totals
    reserves = {"total_sat": str(t.reserves_sat), "spendable_sat": str(t.spendable_sat),
                "locked_sat": str(t.locked_sat), "utxo_count": t.utxo_count,
                "reserve_set": _as(ReserveSetRef, reserve_set).to_json(),
                "valid_at": re_.valid_at(sources), "sources": sources}
    body = {
        "format": FORMAT_3, "sequence": sequence, "previous": previous, "issued_at": issued,
        "issuer": {"name": issuer_name, "url": issuer_url}, "token": {"symbol": token_symbol},
        "status": summary.status, "status_reasons": summary.status_reasons,
        "ratio_bp": None if t.ratio_bp is None else str(t.ratio_bp),
        "policy": policy.to_json(),
        "reserves": reserves,
        "supply": {"total_sat": str(t.supply_sat), "deployments": deployments},
    }
    errors = schema_errors({**body, "signatures": []})
    if errors:
        raise InvalidInput("attestation body fails the schema: " + "; ".join(errors))
    canonical_bytes(body)  # raises InvalidInput if anything escaped the JSON-safe domain
    return body


def _as(cls, value):
    """Accept the dataclass or a plain tuple in field order (the engine's first contract)."""
    return value if isinstance(value, cls) else cls(*value)


def sign(body: dict, keys: list[SigningKey]) -> dict:
    """The signed document: body + `signatures`, one BIP-340 entry per key over sha256(JCS(body))."""
    if not keys:
        raise SigningKeyError("at least one signing key is needed")
    if len({k.pubkey_hex for k in keys}) != len(keys):
        raise SigningKeyError("the same key is given twice")
    if "signatures" in body:
        raise InvalidInput("sign() takes a body, not a signed document")
    message = digest(body)
    signatures = [
        {"alg": "bip340", "key_id": k.key_id, "pubkey": k.pubkey_hex, "sig": k.sign_digest(message).hex()}
        for k in keys
    ]
    return {**body, "signatures": signatures}


def envelope(document: dict) -> dict:
    """The API form `{"id": <hex id>, "attestation": <document>}`; the id is derived, never stored in it."""
    return {"id": attestation_id(document), "attestation": document}


def utc_now() -> datetime:
    """Now in UTC, whole seconds (what `issued_at` can carry)."""
    return datetime.now(timezone.utc).replace(microsecond=0)
