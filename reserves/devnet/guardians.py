"""The devnet's guardians: three keys anyone can derive (it is a devnet), two of which co-sign.

The third never signs, so the dashboard shows who did. Their co-signing runs in the worker right
after each snapshot, through the same verified submission a real guardian uses.
"""

from __future__ import annotations

import hashlib

from reserves.attestation.keys import SigningKey
from reserves.attestation.members.guardians import GuardianSet, guardian_signature
from reserves.storage import repository as repo
from reserves.storage.db import Database
from reserves.trust.guardians import DuplicateSignature, submit

DEVNET_GUARDIANS = ("devnet-guardian-a", "devnet-guardian-b", "devnet-guardian-c")
DEVNET_SIGNING_GUARDIANS = 2


def devnet_guardian_set() -> tuple[GuardianSet, list[SigningKey]]:
    """(the devnet's 2-of-3 guardian set, the keys of the two that sign)."""
    keys = [
        SigningKey(hashlib.sha256(f"reserves-portal devnet guardian {name}".encode()).digest(), key_id=name)
        for name in DEVNET_GUARDIANS
    ]
    return (
        GuardianSet(DEVNET_SIGNING_GUARDIANS, tuple((k.key_id, k.pubkey_hex) for k in keys)),
        keys[:DEVNET_SIGNING_GUARDIANS],
    )


async def cosign(db: Database, keys: list[SigningKey]) -> None:
    """Each of `keys` co-signs every pending attestation it has not signed yet."""
    async with db.sessions() as session:
        pending = await repo.pending_attestations(session, limit=50)
    for row in pending:
        for key in keys:
            entry = guardian_signature(key, row.id)
            try:
                await submit(db, row.id, entry["pubkey"], entry["sig"])
            except DuplicateSignature:
                continue
