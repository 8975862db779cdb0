"""Guardian submissions against real databases: each refusal has its code and stores nothing; finality,
events and audit entries follow the threshold; the append-only tables refuse UPDATE and DELETE."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import select

from reserves.attestation import canonical
from reserves.attestation.members.guardians import GuardianSet, guardian_signature
from reserves.errors import InvalidInput, NotFound
from reserves.storage.engine_models import AuditRow, EngineEventRow, GuardianSignatureRow
from reserves.storage.models import AttestationRow
from reserves.trust import audit, guardians
from tests.attestation.helpers import key, make_doc_v4

KEYS = [key(30 + i, f"guardian-{i}") for i in range(3)]
GSET = GuardianSet(2, tuple((k.key_id, k.pubkey_hex) for k in KEYS))


def _id(doc: dict) -> str:
    return canonical.attestation_id({k: v for k, v in doc.items() if k != "signatures"})


@pytest.fixture
def db(migrated_db):
    return migrated_db


async def _store(db, doc: dict, finality: str = "pending") -> str:
    from reserves.attestation.arithmetic import parse_timestamp

    async with db.sessions() as session:
        async with session.begin():
            session.add(
                AttestationRow(
                    id=_id(doc),
                    sequence=doc["sequence"],
                    previous=doc["previous"],
                    issued_at=parse_timestamp(doc["issued_at"]),
                    status=doc["status"],
                    ratio_bp=int(doc["ratio_bp"]),
                    reserves_sat=int(doc["reserves"]["total_sat"]),
                    liabilities_sat=int(doc["supply"]["total_sat"]),
                    document=json.dumps(doc),
                    finality=finality,
                )
            )
    return _id(doc)


async def _count(db, model) -> int:
    async with db.sessions() as session:
        return len((await session.exec(select(model))).all())


def _sig(k, att_id: str) -> tuple[str, str]:
    entry = guardian_signature(k, att_id)
    return entry["pubkey"], entry["sig"]


async def test_threshold_makes_it_final_with_an_event_and_audit_entries(db):
    att_id = await _store(db, make_doc_v4(guardians=GSET))
    first = await guardians.submit(db, att_id, *_sig(KEYS[0], att_id))
    assert first["finality"] == "pending" and first["signed"] == ["guardian-0"] and first["threshold"] == 2
    second = await guardians.submit(db, att_id, *_sig(KEYS[2], att_id))
    assert second["finality"] == "final" and second["signed"] == ["guardian-0", "guardian-2"]
    async with db.sessions() as session:
        row = await session.get(AttestationRow, att_id)
        events = (await session.exec(select(EngineEventRow))).all()
        entries = (await session.exec(select(AuditRow).order_by(AuditRow.id))).all()
    assert row.finality == "final" and row.final_at is not None
    assert [e.kind for e in events] == ["attestation_final"]
    assert [(e.actor, e.action) for e in entries] == [
        ("guardian:guardian-0", "guardian.signature"),
        ("guardian:guardian-2", "guardian.signature"),
    ]
    assert audit.chain_problems([audit.entry_json(e) for e in entries]) == []
    # A third signature is still welcome (M of N), and changes nothing about finality.
    third = await guardians.submit(db, att_id, *_sig(KEYS[1], att_id))
    assert third["finality"] == "final" and len(third["signed"]) == 3


@pytest.mark.parametrize(
    "change, error, code",
    [
        ({"att_id": "zz" * 32}, InvalidInput, "invalid_input"),
        ({"att_id": "ab" * 33}, InvalidInput, "invalid_input"),
        ({"pubkey": "02" + "ab" * 32}, InvalidInput, "invalid_input"),
        ({"sig": "00" * 63}, InvalidInput, "invalid_input"),
        ({"sig": 12345}, InvalidInput, "invalid_input"),
        ({"pubkey": None}, InvalidInput, "invalid_input"),
        ({"att_id": "ab" * 32}, NotFound, "not_found"),
        ({"key": key(99, "outsider")}, guardians.UnknownGuardian, "unknown_guardian"),
        ({"sig_for": "cd" * 32}, guardians.InvalidSignature, "invalid_signature"),
        ({"sig": "00" * 64}, guardians.InvalidSignature, "invalid_signature"),
    ],
)
async def test_each_bad_submission_is_refused_with_its_code_and_stores_nothing(db, change, error, code):
    att_id = await _store(db, make_doc_v4(guardians=GSET))
    k = change.get("key", KEYS[0])
    pubkey, sig = _sig(k, change.get("sig_for", att_id))
    args = {"att_id": att_id, "pubkey": pubkey, "sig": sig}
    args.update({n: v for n, v in change.items() if n in args})
    with pytest.raises(error) as info:
        await guardians.submit(db, args["att_id"], args["pubkey"], args["sig"])
    assert info.value.code == code
    assert await _count(db, GuardianSignatureRow) == 0 and await _count(db, AuditRow) == 0


async def test_twice_is_a_conflict_and_changes_nothing(db):
    att_id = await _store(db, make_doc_v4(guardians=GSET))
    await guardians.submit(db, att_id, *_sig(KEYS[0], att_id))
    with pytest.raises(guardians.DuplicateSignature):
        await guardians.submit(db, att_id, *_sig(KEYS[0], att_id))  # a fresh signature (new aux randomness)
    assert await _count(db, GuardianSignatureRow) == 1 and await _count(db, AuditRow) == 1


async def test_an_attestation_without_guardians_has_nothing_to_cosign(db):
    att_id = await _store(db, make_doc_v4(), finality="final")
    with pytest.raises(guardians.NoGuardianSet):
        await guardians.submit(db, att_id, *_sig(KEYS[0], att_id))


async def test_guardians_signing_at_once_both_count(db):
    att_id = await _store(db, make_doc_v4(guardians=GSET))
    results = await asyncio.gather(*(guardians.submit(db, att_id, *_sig(k, att_id)) for k in KEYS[:2]))
    assert sorted(r["finality"] for r in results) == ["final", "pending"]
    async with db.sessions() as session:
        assert (await session.get(AttestationRow, att_id)).finality == "final"


async def test_append_only_tables_refuse_updates_and_deletes(db):
    att_id = await _store(db, make_doc_v4(guardians=GSET))
    await guardians.submit(db, att_id, *_sig(KEYS[0], att_id))
    refused = [
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
        "UPDATE guardian_signature SET sig = 'x'",
        "DELETE FROM guardian_signature",
        "UPDATE attestation SET document = '{}'",
        "UPDATE attestation SET status = 'stale'",
        "DELETE FROM attestation",
    ]
    for statement in refused:
        async with db.sessions() as session:
            with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
                async with session.begin():
                    await session.exec(text(statement))
    async with db.sessions() as session:  # finality is the one column that may change
        async with session.begin():
            await session.exec(text("UPDATE attestation SET finality = 'final'"))
    assert await _count(db, AuditRow) == 1 and await _count(db, AttestationRow) == 1
