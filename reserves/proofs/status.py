"""The proof status read model: per address the newest valid proof and its age, per wallet key liveness."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from reserves.proofs.anchor import attested_addresses
from reserves.proofs.message import iso
from reserves.storage import documents
from reserves.storage import proofs_repository as prepo
from reserves.storage import repository as repo
from reserves.storage.repository import utc

log = logging.getLogger(__name__)


def _age(now: datetime, then: datetime) -> int:
    return max(0, int((now - then).total_seconds()))


def key_ref(info: Any, keys: Any) -> str:
    """The liveness reference of declared key `info` among its wallet's `keys`: its id, qualified
    by a hash of the key when another key of the wallet shares that id (two accounts of one
    master have one origin fingerprint), so a signature never makes another key alive."""
    if all(k.key == info.key for k in keys if k.id == info.id):
        return info.id
    return f"{info.id}:{hashlib.sha256(info.key.encode()).hexdigest()[:8]}"


def _policy(wallet: Any) -> Any:
    try:
        return wallet.policy()
    except Exception:  # a wallet whose policy cannot be computed still lists its address proofs
        log.exception("wallet %s: policy unavailable", getattr(wallet, "name", "?"))
        return None


async def proof_status(session, wallets: tuple[Any, ...], max_age_seconds: int, now: datetime) -> dict[str, Any]:
    """{max_age_seconds, reserve_set, addresses: [...], wallets: [...]} as of `now`.

    Addresses are those holding counted coins in the newest attestation plus those with a valid
    proof. An address is `fresh` when its newest valid proof's challenge block is at most
    `max_age_seconds` old, `expired` when older, `none` without a valid proof. A declared key is
    alive when a fresh valid proof carries its signature (at any address of its wallet).
    """
    latest = await repo.latest_attestation(session)
    body = documents.document(latest) if latest is not None else {}
    coins = attested_addresses(body)
    names = {w.name for w in wallets}
    fresh_since = now - timedelta(seconds=max_age_seconds)
    fresh = [p for p in await prepo.fresh_key_sets(session, fresh_since) if p.wallet in names]
    proven = await prepo.proven_addresses(session)
    newest = await prepo.latest_valid_per_address(session, sorted(set(coins) | set(proven)))
    addresses = []
    for address in sorted(set(coins) | {a for a, p in newest.items() if p.wallet in names}):
        proof = newest.get(address)
        entry: dict[str, Any] = {
            "address": address,
            "wallet": proof.wallet if proof else coins.get(address),
            "holds_coins": address in coins,
            "status": "none",
            "proven_at": None,
            "age_seconds": None,
            "challenge_id": None,
            "variant": None,
            "signer_keys": [],
        }
        if proof is not None:
            proven_at = utc(proof.proven_at)
            entry.update(
                status="fresh" if proven_at >= fresh_since else "expired",
                proven_at=iso(proven_at),
                age_seconds=_age(now, proven_at),
                challenge_id=proof.challenge_id,
                variant=proof.variant,
                signer_keys=json.loads(proof.signer_keys),
            )
        addresses.append(entry)
    rset = body.get("reserves", {}).get("reserve_set") if body else None
    return {
        "max_age_seconds": max_age_seconds,
        "as_of": iso(now),
        "reserve_set": rset,
        "addresses": addresses,
        "wallets": [_wallet(w, fresh, now) for w in wallets],
    }


def _wallet(wallet: Any, fresh: list, now: datetime) -> dict[str, Any]:
    policy = _policy(wallet)
    keys = policy.keys if policy is not None else ()
    alive: dict[str, datetime] = {}  # key id -> newest fresh proof time carrying its signature
    for group in fresh:
        if group.wallet == wallet.name:
            for key_id in json.loads(group.signer_keys):
                alive[key_id] = max(alive.get(key_id, group.proven_at), group.proven_at)
    out_keys = []
    for k in keys:
        ref = key_ref(k, keys)
        when = utc(alive[ref]) if ref in alive else None
        out_keys.append(
            {
                "id": ref,
                "fingerprint": k.fingerprint,
                "path": k.path,
                "alive": when is not None,
                "proven_at": iso(when) if when else None,
                "age_seconds": _age(now, when) if when else None,
            }
        )
    alive_count = sum(1 for k in out_keys if k["alive"])
    threshold = policy.threshold if policy is not None else None
    return {
        "name": wallet.name,
        "label": getattr(wallet, "label", None),
        "script_type": policy.script_type if policy else None,
        "description": policy.description if policy else None,
        "threshold": threshold,
        "key_count": len(out_keys),
        "keys": out_keys,
        "alive_count": alive_count,
        "all_keys_alive": bool(out_keys) and alive_count == len(out_keys),
        "threshold_alive": bool(out_keys) and alive_count >= (threshold or len(out_keys)),
    }
