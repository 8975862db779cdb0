"""The read model of one attestation's page: its figures, links, finality, signatures and the server's own checks."""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from reserves.attestation.arithmetic import parse_timestamp
from reserves.attestation.verify import verify_chain, verify_document
from reserves.errors import InvalidInput, NotFound
from reserves.hexes import is_hex64
from reserves.read.display import btc, percent
from reserves.read.service import ReserveService
from reserves.trust.service import TrustService


@dataclass(frozen=True)
class SignatureRow:
    """One entry of `signatures`: its algorithm, label, the key (x-only pubkey, or address for EIP-712) and role."""

    alg: str
    key_id: str
    key: str
    role: str


@dataclass(frozen=True)
class CheckRow:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class AttestationPage:
    """What the page shows. Amounts are exact decimal strings; `checks` are the server's claim, which the
    page's browser verification recomputes with keys the reader pins."""

    id: str
    sequence: int
    format: str
    issued_at: str
    age_seconds: int
    status: str
    status_reasons: list[str]
    ratio_bp: str | None
    ratio: str | None
    reserves_sat: str
    reserves_btc: str
    supply_sat: str
    supply_btc: str
    previous: str | None
    next: str | None
    reserve_set: dict | None
    finality: dict[str, Any]
    signatures: list[SignatureRow]
    checks: list[CheckRow]
    checks_ok: bool
    keys_note: str
    document_json: str


def _roles(doc: dict) -> dict[str, str]:
    signers = doc.get("signers")
    if not isinstance(signers, dict):
        return {}
    roles = {signers["engine"]["pubkey"]: "engine"}
    if signers.get("rotation"):
        roles[signers["rotation"]["from"]["pubkey"]] = "replaced engine key"
    for g in (signers.get("guardians") or {}).get("keys", []):
        roles[g["pubkey"]] = "guardian"
    return roles


def signature_rows(doc: dict) -> list[SignatureRow]:
    roles = _roles(doc)
    rows = []
    for s in doc.get("signatures", []):
        key = s.get("pubkey") or s.get("address") or ""
        role = "engine (EIP-712)" if s.get("alg") == "eip712" else roles.get(key, "engine" if not roles else "unnamed")
        rows.append(SignatureRow(str(s.get("alg")), str(s.get("key_id")), key, role))
    return rows


def server_checks(envelope: dict, previous: dict | None, engine_keys: dict[str, str]) -> list[CheckRow]:
    """`reserves verify` as this server runs it, with the engine keys it publishes (pending allowed:
    finality is shown apart)."""
    trusted = engine_keys or None
    if previous is None:
        report = verify_document(envelope, trusted_keys=trusted, allow_pending=True)
    else:
        report = verify_chain([previous, envelope], trusted, allow_pending=True)
    return [
        CheckRow(c.name.replace("doc[0].", "previous.").replace("doc[1].", ""), c.ok, c.detail) for c in report.checks
    ]


_CHECKED: OrderedDict[tuple, list[CheckRow]] = OrderedDict()
MAX_CHECKED = 256


async def checked(envelope: dict, previous: dict | None, engine_keys: dict[str, str]) -> list[CheckRow]:
    """`server_checks`, in a thread (two documents' signatures and schema take tens of ms) and once
    per (id, signatures, previous, keys): a stored attestation changes only when a guardian signs."""
    key = (
        envelope["id"],
        len(envelope["attestation"].get("signatures", [])),
        None if previous is None else previous["id"],
        tuple(sorted(engine_keys.items())),
    )
    hit = _CHECKED.get(key)
    if hit is None:
        hit = await asyncio.to_thread(server_checks, envelope, previous, engine_keys)
        _CHECKED[key] = hit
        while len(_CHECKED) > MAX_CHECKED:
            _CHECKED.popitem(last=False)
    _CHECKED.move_to_end(key)
    return hit


async def attestation_page(
    reserves: ReserveService, trust: TrustService, attestation_id: str, now: datetime | None = None
) -> AttestationPage:
    """The page of attestation `attestation_id`; InvalidInput for a malformed id, NotFound for an unknown one."""
    if not is_hex64(attestation_id):
        raise InvalidInput("id: must be 64 lowercase hex characters (SHA-256 of the canonical body)")
    envelope = await reserves.get(attestation_id)
    doc = envelope["attestation"]
    previous = None
    if doc["previous"] is not None:
        try:
            previous = await reserves.get(doc["previous"])
        except NotFound:
            previous = None  # a window of history: the chain starts later on this server
    keys = {k["pubkey"]: k["key_id"] for k in await trust.keys() if k["role"] != "guardian"}
    checks = await checked(envelope, previous, keys)
    issued = parse_timestamp(doc["issued_at"])
    now = now or datetime.now(timezone.utc)
    return AttestationPage(
        id=attestation_id,
        sequence=doc["sequence"],
        format=doc["format"],
        issued_at=doc["issued_at"],
        age_seconds=max(0, int((now - issued).total_seconds())),
        status=doc["status"],
        status_reasons=list(doc["status_reasons"]),
        ratio_bp=doc["ratio_bp"],
        ratio=percent(doc["ratio_bp"]),
        reserves_sat=doc["reserves"]["total_sat"],
        reserves_btc=btc(doc["reserves"]["total_sat"]),
        supply_sat=doc["supply"]["total_sat"],
        supply_btc=btc(doc["supply"]["total_sat"]),
        previous=doc["previous"],
        next=await reserves.next_id(attestation_id),
        reserve_set=doc["reserves"].get("reserve_set"),
        finality=await trust.finality(attestation_id),
        signatures=signature_rows(doc),
        checks=checks,
        checks_ok=all(c.ok for c in checks),
        keys_note=f"{len(keys)} engine key(s) this server publishes at /api/v1/keys"
        if keys
        else "no engine key published",
        document_json=json.dumps(doc, indent=2, ensure_ascii=False),
    )
