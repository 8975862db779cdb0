"""The anchor of a challenge: the reserve set and recent block named by the newest attestation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from reserves.proofs.errors import NoFreshBlock
from reserves.proofs.message import Anchor
from reserves.storage import documents
from reserves.storage import repository as repo

# A challenge must embed a block this recent: older means the snapshots stopped, and a
# signature bound to an old block proves less than the age we would show.
MAX_ANCHOR_AGE = timedelta(hours=2)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def anchor_from_body(body: dict[str, Any]) -> Anchor:
    """The Anchor of an attestation body (format 2); NoFreshBlock when it names none."""
    reserves = body.get("reserves") if isinstance(body, dict) else None
    reserves = reserves if isinstance(reserves, dict) else {}
    rset, valid_at = reserves.get("reserve_set"), reserves.get("valid_at")
    if not isinstance(rset, dict) or not isinstance(valid_at, dict):
        raise NoFreshBlock("the newest attestation names no reserve set or block (wait for the next snapshot)")
    block_hash = valid_at.get("block_hash")
    # The block's time comes from a source read at that block (all sources share the tip).
    block_time = next(
        (
            _parse_time(s.get("block_time"))
            for s in reserves.get("sources", ())
            if isinstance(s, dict) and s.get("block_hash") == block_hash
        ),
        None,
    )
    version, rhash, height = rset.get("version"), rset.get("hash"), valid_at.get("height")
    if (
        block_time is None
        or not isinstance(version, int)
        or not isinstance(height, int)
        or not isinstance(rhash, str)
        or not isinstance(block_hash, str)
    ):
        raise NoFreshBlock("the newest attestation's reserve set or block is incomplete")
    return Anchor(version, rhash, str(valid_at.get("chain_id")), height, block_hash, block_time)


async def fresh_anchor(session, now: datetime) -> Anchor:
    """The anchor of the newest attestation; NoFreshBlock when none exists or its block is too old."""
    row = await repo.latest_attestation(session)
    if row is None:
        raise NoFreshBlock("no attestation has been published yet, so there is no recent block to bind to")
    anchor = anchor_from_body(documents.document(row))
    age = now - anchor.block_time
    if age > MAX_ANCHOR_AGE:
        raise NoFreshBlock(
            f"the newest attested block is {int(age.total_seconds())} s old "
            f"(at most {int(MAX_ANCHOR_AGE.total_seconds())} s): snapshots must resume first"
        )
    return anchor


def attested_addresses(body: dict[str, Any]) -> dict[str, str | None]:
    """address -> wallet name of every counted UTXO in an attestation body (the addresses with coins)."""
    out: dict[str, str | None] = {}
    for source in body.get("reserves", {}).get("sources", ()):
        if not isinstance(source, dict):
            continue
        for utxo in source.get("utxos", ()):
            if isinstance(utxo, dict) and isinstance(utxo.get("address"), str):
                out.setdefault(utxo["address"], utxo.get("wallet") or None)
    return out


async def attested_wallets(session) -> dict[str, str | None]:
    """address -> wallet of the coins counted by the newest attestation ({} before the first)."""
    row = await repo.latest_attestation(session)
    return attested_addresses(documents.document(row)) if row is not None else {}
