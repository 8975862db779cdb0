"""The service behind guardians, finality, key history, engine events and the audit log (JSON and dashboard)."""

from __future__ import annotations

import json
from typing import Any

from reserves.attestation.members.guardians import guardian_set
from reserves.errors import InvalidInput, NotFound
from reserves.read import stored
from reserves.read.display import btc, iso, percent
from reserves.read.workers import announced_keys, live_workers
from reserves.storage import documents
from reserves.storage import events as events_repo
from reserves.storage import repository as repo
from reserves.storage.db import Database
from reserves.trust import anchoring, audit, guardians

MAX_PAGE = 500
_CURSOR_MAX = 2**53 - 1


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit: must be from 1 to {MAX_PAGE}")
    return limit


def _cursor(value: int | None, name: str = "before") -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _CURSOR_MAX):
        raise InvalidInput(f"{name}: a positive integer id")
    return value


def finality_view(row, document: dict, signatures: list) -> dict[str, Any]:
    """Who co-signed attestation `row`, when, and whether it is final."""
    declared = guardian_set(document) if "signers" in document else None
    signed = {s.pubkey: s for s in signatures}
    members = (
        []
        if declared is None
        else [
            {
                "key_id": k,
                "pubkey": p,
                "signed": p in signed,
                "signed_at": iso(signed[p].submitted_at) if p in signed else None,
            }
            for k, p in declared.keys
        ]
    )
    return {
        "attestation_id": row.id,
        "sequence": row.sequence,
        "finality": row.finality,
        "final_at": iso(row.final_at),
        "threshold": None if declared is None else declared.threshold,
        "signed_count": sum(1 for m in members if m["signed"]),
        "guardians": members,
    }


class TrustService:
    def __init__(self, db: Database):
        self.db = db

    async def submit_signature(self, attestation_id: str, pubkey: object, sig: object) -> dict[str, Any]:
        return await guardians.submit(self.db, attestation_id, pubkey, sig)

    async def finality(self, attestation_id: str) -> dict[str, Any]:
        guardians.check_id(attestation_id)
        async with self.db.sessions() as session:
            row = await repo.get_attestation(session, attestation_id)
            if row is None:
                raise NotFound(f"no attestation with id {attestation_id}")
            signatures = (await repo.guardian_signatures(session, [row.id])).get(row.id, [])
        return finality_view(row, documents.document(row), signatures)

    async def pending(self, *, limit: int = 50, after: int | None = None) -> dict[str, Any]:
        """Attestations waiting for guardians, oldest first, as envelopes (what a guardian signs).

        At most `limit` items and MAX_PAGE_BYTES of documents (reserves.read.stored).
        """
        limit = _limit(limit)
        if after is not None and (isinstance(after, bool) or not 0 <= after <= _CURSOR_MAX):
            raise InvalidInput("after: a sequence number")
        async with self.db.sessions() as session:
            page = await stored.page_heads(session, limit, pending=True, cursor=after)
            items = await stored.envelopes(session, page.heads)
        next_after = page.heads[-1].sequence if page.more and page.heads else None
        return {"items": items, "next_after": next_after, "limit": limit}

    async def guardians(self) -> dict[str, Any]:
        """The guardian set the newest attestation declares, and how each guardian kept up."""
        async with self.db.sessions() as session:
            row = await repo.latest_attestation(session)
            if row is None:
                raise NotFound("no attestation has been published yet")
            final = await repo.latest_final(session)
            signatures = (await repo.guardian_signatures(session, [row.id])).get(row.id, [])
        view = finality_view(row, documents.document(row), signatures)
        view["latest_final_sequence"] = None if final is None else final.sequence
        return view

    async def keys(self) -> list[dict[str, Any]]:
        """Every key that signed or co-signs, with its role and history (introduced, rotated, retired)."""
        async with self.db.sessions() as session:
            rows = await repo.list_keys(session)
            announced = announced_keys(await live_workers(session))
        out = {
            r.pubkey: {
                "alg": r.alg,
                "key_id": r.key_id,
                "pubkey": r.pubkey,
                "role": r.role,
                "first_used_at": iso(r.first_used_at),
                "active": r.active,
                "introduced_sequence": r.introduced_sequence,
                "rotation_attestation": r.rotation_attestation,
                "retired_sequence": r.retired_sequence,
            }
            for r in rows
        }
        # A worker's key before its first attestation: published as soon as the worker runs.
        for pubkey, key_id in announced:
            out.setdefault(
                pubkey,
                {
                    "alg": "bip340",
                    "key_id": key_id,
                    "pubkey": pubkey,
                    "role": "engine",
                    "first_used_at": None,
                    "active": True,
                    "introduced_sequence": None,
                    "rotation_attestation": None,
                    "retired_sequence": None,
                },
            )
        return list(out.values())

    async def events(self, *, kind: str | None = None, before: int | None = None, limit: int = 50) -> dict[str, Any]:
        if kind is not None and kind not in events_repo.PUBLIC_KINDS:
            raise InvalidInput(f"kind: one of {', '.join(events_repo.PUBLIC_KINDS)}")
        limit, before = _limit(limit), _cursor(before)
        async with self.db.sessions() as session:
            rows = await events_repo.page(session, kind=kind, before_id=before, limit=limit + 1)
        items = [
            {
                "id": r.id,
                "at": iso(r.at),
                "kind": r.kind,
                "sequence": r.sequence,
                "attestation_id": r.attestation_id,
                "payload": json.loads(r.payload),
            }
            for r in rows[:limit]
        ]
        return {"items": items, "next_before": rows[limit - 1].id if len(rows) > limit else None, "limit": limit}

    async def audit(self, *, before: int | None = None, limit: int = 50) -> dict[str, Any]:
        limit, before = _limit(limit), _cursor(before)
        async with self.db.sessions() as session:
            rows = await audit.page(session, before_id=before, limit=limit + 1)
        return {
            "items": [audit.entry_json(r) for r in rows[:limit]],
            "next_before": rows[limit - 1].id if len(rows) > limit else None,
            "limit": limit,
        }

    async def anchors(self, *, limit: int = 50) -> dict[str, Any]:
        limit = _limit(limit)
        async with self.db.sessions() as session:
            return {"items": await anchoring.anchors_page(session, limit), "limit": limit}

    async def assurance(self, *, recent: int = 10) -> dict[str, Any]:
        """Finality, window, flows, scope and status basis of the newest attestation, with keys,
        recent engine events, audit entries and anchors: the dashboard's assurance panel and its JSON."""
        async with self.db.sessions() as session:
            row = await repo.latest_attestation(session)
            final = await repo.latest_final(session)
            signatures = (await repo.guardian_signatures(session, [row.id])).get(row.id, []) if row else []
            anchors = await anchoring.anchors_page(session, 5)
        # The panel lists what a reader would miss otherwise: finality and guardian signatures have
        # their own card and table (the JSON endpoints list everything).
        events = [e for e in (await self.events(limit=100))["items"] if e["kind"] != "attestation_final"]
        entries = [e for e in (await self.audit(limit=100))["items"] if e["action"] != "guardian.signature"]
        base = {"keys": await self.keys(), "events": events[:recent], "audit": entries[:recent], "anchors": anchors}
        if row is None:
            return {"has_data": False, **base}
        body = documents.document(row)
        view = finality_view(row, body, signatures)
        flows = body.get("flows") or {"previous_sequence": None, "compared": False, "flags": []}
        window = body.get("window")
        return {
            "has_data": True,
            **view,
            **base,
            "latest_final_sequence": None if final is None else final.sequence,
            "format": body["format"],
            "status": body["status"],
            "status_basis": body.get("status_basis"),
            "hysteresis_bp": body["policy"].get("hysteresis_bp"),
            "window": window,
            "window_min_percent": percent(window["min_ratio_bp"]) if window and window["min_ratio_bp"] else None,
            "flows": flows,
            "flows_btc": {
                k.removesuffix("_sat"): btc(flows.get(k))
                for k in ("inflow_sat", "outflow_sat", "short_lived_sat", "recent_inflow_sat")
            },
            "scope": body.get("scope") or {"proven": [], "asserted": [], "control": None, "statements": []},
            "signers": body.get("signers"),
        }
