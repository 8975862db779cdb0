"""Storing one attestation with everything that follows from it, in the snapshot's transaction.

One transaction holds the attestation row, its time-series points and rollups, the engine
events it causes (the outbox), key and guardian records and audit entries: a crash before the
commit leaves none of them, a commit leaves all of them.
"""

from __future__ import annotations

import json
from datetime import datetime

from reserves.attestation import arithmetic as ar
from reserves.attestation.members.guardians import GuardianSet, guardian_set, is_final
from reserves.attestation.members.status import observations
from reserves.errors import InvalidInput
from reserves.snapshot.tier_events import emit_tier_events
from reserves.storage import events as events_repo
from reserves.storage import repository as repo
from reserves.storage import series
from reserves.storage.models import AttestationRow, RatioPoint
from reserves.trust import audit


async def store_attestation(
    session, att_id: str, body: dict, document: dict, previous: dict | None, issued: datetime
) -> None:
    ratio = None if body["ratio_bp"] is None else int(body["ratio_bp"])
    reserves_sat = int(body["reserves"]["total_sat"])
    liabilities_sat = int(body["supply"]["total_sat"])
    valid_at = body["reserves"]["valid_at"]
    old_set = None if previous is None else guardian_set(previous) if "signers" in previous else None
    final = is_final(document, att_id, old_set)
    row = AttestationRow(
        id=att_id,
        sequence=body["sequence"],
        previous=body["previous"],
        issued_at=issued,
        status=body["status"],
        ratio_bp=ratio,
        reserves_sat=reserves_sat,
        liabilities_sat=liabilities_sat,
        document=json.dumps(document, separators=(",", ":"), ensure_ascii=False),
        reserve_set_version=body["reserves"]["reserve_set"]["version"],
        reserves_height=None if valid_at is None else valid_at["height"],
        engine_pubkey=body["signers"]["engine"]["pubkey"],
        finality="final" if final else "pending",
        final_at=issued if final else None,
    )
    point = RatioPoint(
        time=issued,
        sequence=body["sequence"],
        attestation_id=att_id,
        status=body["status"],
        ratio_bp=ratio,
        reserves_sat=reserves_sat,
        liabilities_sat=liabilities_sat,
    )
    await repo.insert_attestation(session, row, point)
    await series.record(session, point, _deployment_points(body))
    await _keys(session, body, att_id, issued)
    await _events(session, body, att_id, issued, old_set, final)
    await _published(session, body, att_id, issued, previous, final)


def _deployment_points(body: dict) -> list[tuple[str, str, int]]:
    return [(d["name"], d["chain_id"], int(d["supply_sat"])) for d in body["supply"]["deployments"] if "error" not in d]


async def _keys(session, body: dict, att_id: str, issued: datetime) -> None:
    signers = body["signers"]
    engine, rotation = signers["engine"], signers["rotation"]
    if rotation is None and await repo.get_key(session, engine["pubkey"]) is None:
        await audit.append(
            session,
            actor="engine",
            action="key.introduced",
            at=issued,
            detail={"sequence": body["sequence"], "attestation": att_id, "key": engine},
        )
    await repo.remember_key(
        session,
        pubkey=engine["pubkey"],
        key_id=engine["key_id"],
        when=issued,
        sequence=body["sequence"],
        rotation_attestation=att_id if rotation else None,
    )
    for g in (signers["guardians"] or {}).get("keys", []):
        await repo.remember_guardian(
            session, pubkey=g["pubkey"], key_id=g["key_id"], when=issued, sequence=body["sequence"]
        )
    if rotation is not None:
        await audit.append(
            session,
            actor="engine",
            action="key.rotated",
            at=issued,
            detail={
                "sequence": body["sequence"],
                "attestation": att_id,
                "from": rotation["from"],
                "to": engine,
                "reason": rotation["reason"],
            },
        )


async def _events(session, body: dict, att_id: str, issued: datetime, old_set: GuardianSet | None, final: bool) -> None:
    seq = body["sequence"]
    basis = body["status_basis"]

    async def emit(kind: str, payload: dict) -> None:
        await events_repo.add(session, kind=kind, at=issued, sequence=seq, attestation_id=att_id, payload=payload)

    if basis["changed"]:
        await emit(
            "status_changed",
            {
                "from": basis["previous_status"],
                "to": body["status"],
                "reason": basis["change_reason"],
                "ratio_bp": body["ratio_bp"],
            },
        )
    if body["flows"]["flags"]:
        await emit(
            "flow_flagged",
            {
                "flags": body["flows"]["flags"],
                **{k: body["flows"][k] for k in ("inflow_sat", "outflow_sat", "short_lived_sat", "recent_inflow_sat")},
            },
        )
    if body["signers"]["rotation"] is not None:
        await emit("key_rotated", {"from": body["signers"]["rotation"]["from"], "to": body["signers"]["engine"]})
    new_set = GuardianSet.from_json(body["signers"]["guardians"])
    if seq > 0 and new_set != old_set:
        await emit(
            "guardian_set_changed",
            {"from": None if old_set is None else old_set.to_json(), "to": body["signers"]["guardians"]},
        )
        await audit.append(
            session,
            actor="engine",
            action="guardians.changed",
            at=issued,
            detail={"sequence": seq, "attestation": att_id, "to": body["signers"]["guardians"]},
        )
    if final:
        await emit("attestation_final", {"guardians": [], "status": body["status"]})


async def _published(session, body: dict, att_id: str, issued: datetime, previous: dict | None, final: bool) -> None:
    """`attestation_published` for every attestation, and what changed since the previous one:
    each source that turned stale or recovered, and a new reserve-set version."""
    seq = body["sequence"]

    async def emit(kind: str, payload: dict) -> None:
        await events_repo.add(session, kind=kind, at=issued, sequence=seq, attestation_id=att_id, payload=payload)

    await emit(
        "attestation_published",
        {
            "status": body["status"],
            "ratio_bp": body["ratio_bp"],
            "reserves_sat": body["reserves"]["total_sat"],
            "supply_sat": body["supply"]["total_sat"],
            "issued_at": body["issued_at"],
            "finality": "final" if final else "pending",
            "previous_ratio_bp": None if previous is None else previous.get("ratio_bp"),
        },
    )
    now_stale = stale_sources(body, issued)
    try:
        before = {} if previous is None else stale_sources(previous, None)
    except (KeyError, TypeError, ValueError, InvalidInput):  # an older format without these facts
        before = {}
    for name, reason in now_stale.items():
        if name not in before:
            await emit("source_stale", {"source": name[1], "role": name[0], "reason": reason})
    for name in before:
        if name not in now_stale and _named(body, name):
            await emit("source_recovered", {"source": name[1], "role": name[0]})
    await emit_tier_events(emit, body, previous)
    if previous is not None and "reserve_set" in previous["reserves"]:
        old_version = previous["reserves"]["reserve_set"]["version"]
        new_version = body["reserves"]["reserve_set"]["version"]
        if old_version != new_version:
            await emit("reserve_set_changed", {"from_version": old_version, "to_version": new_version})


def stale_sources(doc: dict, issued: datetime | None) -> dict[tuple[str, str], str]:
    """(role, name) -> why, for each reserve source or supply deployment the status counts as stale."""
    at = issued if issued is not None else ar.parse_timestamp(doc["issued_at"])
    out: dict[tuple[str, str], str] = {}
    for ob in observations(doc["reserves"]["sources"], doc["supply"]["deployments"]):
        reasons = ar.stale_reasons(at, [ob])
        if reasons:
            role = "reserve" if ob.label == "reserve source" else "supply"
            out[(role, ob.name)] = reasons[0]
    return out


def _named(body: dict, key: tuple[str, str]) -> bool:
    """Whether the source is still declared (a removed source has not recovered: it is gone)."""
    entries = body["reserves"]["sources"] if key[0] == "reserve" else body["supply"]["deployments"]
    return any(e["name"] == key[1] for e in entries)
