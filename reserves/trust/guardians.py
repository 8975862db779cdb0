"""Guardian co-signing: verified submission of a guardian's signature, and finality.

A guardian fetches a pending attestation, checks it with `reserves verify`, signs its id offline
(BIP-340 over the 32 id bytes) and submits `{pubkey, sig}`. The submission is accepted only when
the key belongs to the guardian set the attestation declares (or, when it changes the set, to
the set before), the signature verifies for this id, and that key has not signed it yet; each
refusal has its own code and stores nothing. At the threshold the attestation becomes final.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timezone

from sqlmodel import select

from chains.hexes import HEX64, HEX128, is_hex64
from reserves.attestation.members.guardians import GuardianSet, guardian_set, is_final, valid_bip340
from reserves.errors import Conflict, Forbidden, InvalidInput, NotFound
from reserves.storage import documents
from reserves.storage import events as events_repo
from reserves.storage import repository as repo
from reserves.storage.engine_models import GuardianSignatureRow
from reserves.storage.models import AttestationRow
from reserves.trust import audit

log = logging.getLogger(__name__)
# SQLite has one writer at a time but no row locks: submissions in this process take turns.
_SQLITE_TURN = asyncio.Lock()


class UnknownGuardian(Forbidden):
    code = "unknown_guardian"


class InvalidSignature(InvalidInput):
    code = "invalid_signature"


class DuplicateSignature(Conflict):
    code = "duplicate_signature"


class NoGuardianSet(Conflict):
    code = "no_guardian_set"


def check_id(att_id: object) -> str:
    if not is_hex64(att_id):
        raise InvalidInput("id: must be 64 lowercase hex characters (the attestation id)")
    return att_id


def check_submission(att_id: object, pubkey: object, sig: object) -> tuple[str, str, str]:
    """The three values, lowercased, or InvalidInput naming the first malformed one."""
    return (
        _lower_hex("id", att_id, HEX64, "64 hex characters (the attestation id)"),
        _lower_hex("pubkey", pubkey, HEX64, "64 hex characters (BIP-340 x-only key)"),
        _lower_hex("sig", sig, HEX128, "128 hex characters (a 64-byte BIP-340 signature)"),
    )


def _lower_hex(name: str, value: object, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value.lower()):
        raise InvalidInput(f"{name}: must be {what}")
    return value.lower()


async def _previous_set(session, row: AttestationRow) -> GuardianSet | None:
    if row.previous is None:
        return None
    before = await repo.get_attestation(session, row.previous)
    return None if before is None else guardian_set(documents.document(before))


def with_guardians(document: dict, rows: list[GuardianSignatureRow]) -> dict:
    """The document as served: its own signatures, then the guardians' in submission order."""
    extra = [{"alg": "bip340", "key_id": r.key_id, "pubkey": r.pubkey, "sig": r.sig} for r in rows]
    return {**document, "signatures": document["signatures"] + extra} if extra else document


async def submit(db, att_id: object, pubkey: object, sig: object, *, now: datetime | None = None) -> dict:
    """Verify and store one guardian signature; returns the attestation's finality after it."""
    att_id, pubkey, sig = check_submission(att_id, pubkey, sig)
    now = now or datetime.now(timezone.utc)  # microseconds kept: signatures are served in submission order
    async with _SQLITE_TURN if db.dialect == "sqlite" else _NoLock():
        async with db.sessions() as session:
            async with session.begin():
                return await _submit(session, att_id, pubkey, sig, now)


class _NoLock:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


async def _submit(session, att_id: str, pubkey: str, sig: str, now: datetime) -> dict:
    stmt = select(AttestationRow).where(AttestationRow.id == att_id).with_for_update()
    row = (await session.exec(stmt)).first()
    if row is None:
        raise NotFound(f"no attestation with id {att_id}")
    document = documents.document(row)
    declared = guardian_set(document) if "signers" in document else None
    before = await _previous_set(session, row)
    accepted = {**(before.pubkeys if before and before != declared else {}), **(declared.pubkeys if declared else {})}
    if declared is None and not accepted:
        raise NoGuardianSet(f"attestation {row.sequence} declares no guardian set: there is nothing to co-sign")
    if pubkey not in accepted:
        raise UnknownGuardian(f"pubkey {pubkey} is not a guardian of attestation {row.sequence}")
    entry = {"alg": "bip340", "pubkey": pubkey, "sig": sig}
    if not valid_bip340(entry, bytes.fromhex(att_id)):
        raise InvalidSignature(f"the signature does not verify for attestation {att_id} with pubkey {pubkey}")
    if await session.get(GuardianSignatureRow, (att_id, pubkey)) is not None:
        raise DuplicateSignature(f"guardian {accepted[pubkey]} already signed attestation {row.sequence}")
    session.add(
        GuardianSignatureRow(attestation_id=att_id, pubkey=pubkey, key_id=accepted[pubkey], sig=sig, submitted_at=now)
    )
    await session.flush()
    stored = await repo.guardian_signatures(session, [att_id])
    served = with_guardians(document, stored.get(att_id, []))
    became_final = row.finality != "final" and is_final(served, att_id, before)
    if became_final:
        row.finality, row.final_at = "final", now
        await events_repo.add(
            session,
            kind="attestation_final",
            at=now,
            sequence=row.sequence,
            attestation_id=att_id,
            payload={"guardians": [r.key_id for r in stored[att_id]], "status": row.status},
        )
    await audit.append(
        session,
        actor=f"guardian:{accepted[pubkey]}",
        action="guardian.signature",
        at=now,
        detail={"attestation": att_id, "sequence": row.sequence, "pubkey": pubkey, "final": row.finality == "final"},
    )
    return {
        "attestation_id": att_id,
        "sequence": row.sequence,
        "guardian": accepted[pubkey],
        "finality": row.finality,
        "signed": [r.key_id for r in stored[att_id]],
        "threshold": None if declared is None else declared.threshold,
    }
