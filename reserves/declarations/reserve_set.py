"""The versioned reserve set: every declared wallet of every reserve source, hashed, with a reason for each change."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from chains.errors import ChainError
from reserves.attestation.canonical import canonical_bytes
from reserves.errors import ConfigError, InvalidInput
from reserves.storage import repository as repo
from reserves.storage.models import ReserveSetVersion
from reserves.trust import audit

log = logging.getLogger(__name__)
MAX_DIFF_ADDRESSES = 1000  # listed per direction; the counts say how many changed in all


@dataclass(frozen=True)
class ReserveSet:
    """The declarations of all wallets, sorted by name; `hash` = sha256 hex of the RFC 8785 bytes
    of `declaration()` = {"wallets": [...]}. Which source reads a wallet is not part of it."""

    wallets: tuple[dict[str, Any], ...]
    hash: str

    def declaration(self) -> dict[str, Any]:
        return {"wallets": list(self.wallets)}


def reserve_set_hash(declaration: dict[str, Any]) -> str:
    """sha256 hex of the canonical bytes of a declaration (what an auditor recomputes from the API)."""
    return hashlib.sha256(canonical_bytes(declaration)).hexdigest()


def build_reserve_set(sources: Iterable[tuple[str, Iterable[Any]]]) -> ReserveSet:
    """The set from (source name, wallet specs) pairs; ConfigError when a wallet name repeats
    anywhere in the set or a declaration cannot be written."""
    owner: dict[str, str] = {}
    wallets = []
    for source, specs in sources:
        for spec in specs:
            if spec.name in owner:
                raise ConfigError(
                    f"reserves.{source}.wallets: wallet name {spec.name!r} is already declared by "
                    f"source {owner[spec.name]!r}; wallet names must be unique across all sources"
                )
            owner[spec.name] = source
            try:
                wallets.append(spec.declaration())
            except ChainError as exc:
                raise ConfigError(f"reserves.{source}.wallets.{spec.name}: {exc.detail}") from exc
    wallets.sort(key=lambda w: w["name"])
    declaration = {"wallets": wallets}
    try:
        digest = reserve_set_hash(declaration)
    except InvalidInput as exc:
        raise ConfigError(f"reserves: a wallet declaration is not canonical JSON ({exc.detail})") from exc
    return ReserveSet(tuple(wallets), digest)


def _addresses(wallet: dict | None) -> set[str]:
    return set((wallet or {}).get("addresses") or ())


def diff_declarations(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed from `old` to `new`: wallets added, removed or changed (which members), and
    the addresses of address-list wallets added and removed (capped, with counts)."""
    before = {w["name"]: w for w in old.get("wallets", [])}
    after = {w["name"]: w for w in new.get("wallets", [])}
    changed = []
    for name in sorted(set(before) & set(after)):
        members = sorted(k for k in set(before[name]) | set(after[name]) if before[name].get(k) != after[name].get(k))
        if members:
            changed.append({"name": name, "members": members})
    added, removed = [], []
    for name in sorted(set(before) | set(after)):
        old_a, new_a = _addresses(before.get(name)), _addresses(after.get(name))
        added += [{"wallet": name, "address": a} for a in sorted(new_a - old_a)]
        removed += [{"wallet": name, "address": a} for a in sorted(old_a - new_a)]
    return {
        "wallets_added": sorted(set(after) - set(before)),
        "wallets_removed": sorted(set(before) - set(after)),
        "wallets_changed": changed,
        "addresses_added": added[:MAX_DIFF_ADDRESSES],
        "addresses_added_count": len(added),
        "addresses_removed": removed[:MAX_DIFF_ADDRESSES],
        "addresses_removed_count": len(removed),
    }


def describe_diff(diff: dict[str, Any] | None) -> str:
    """One line for people: "added wallets: a; changed: cold (descriptor); addresses +2 -1"."""
    if diff is None:
        return "first version"
    parts = []
    if diff["wallets_added"]:
        parts.append("added wallets: " + ", ".join(diff["wallets_added"][:20]))
    if diff["wallets_removed"]:
        parts.append("removed wallets: " + ", ".join(diff["wallets_removed"][:20]))
    if diff["wallets_changed"]:
        parts.append(
            "changed: " + ", ".join(f"{c['name']} ({', '.join(c['members'])})" for c in diff["wallets_changed"][:20])
        )
    if diff["addresses_added_count"] or diff["addresses_removed_count"]:
        parts.append(f"addresses +{diff['addresses_added_count']} -{diff['addresses_removed_count']}")
    return "; ".join(parts) or "no visible change"


async def record_reserve_set(
    db, rs: ReserveSet, reason: str, *, now: datetime | None = None, devnet: bool = False
) -> ReserveSetVersion:
    """The stored version for `rs`: the latest one when its hash is the same, else a new one.

    A changed set needs a new reason: with the reason of the previous version this raises
    ConfigError saying what changed. The built-in devnet has no config file to edit, so there a
    changed set (new software, new devnet wallets) is recorded with the reason marked instead.
    """
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    try:
        return await _record(db, rs, reason, now, devnet)
    except repo.ReserveSetVersionTaken:
        # Another process (a second worker starting beside this one) recorded it first: what it
        # stored is read again, and this declaration is recorded after it only if it differs.
        return await _record(db, rs, reason, now, devnet)


async def _record(db, rs: ReserveSet, reason: str, now: datetime, devnet: bool) -> ReserveSetVersion:
    async with db.sessions() as session:
        async with session.begin():
            latest = await repo.latest_reserve_set(session)
            if latest is not None and latest.hash == rs.hash:
                return latest
            diff = None if latest is None else diff_declarations(json.loads(latest.declaration), rs.declaration())
            if latest is not None and reason == latest.reason:
                if not devnet:
                    raise ConfigError(
                        f"reserve_set.reason: the declared reserve set changed since version {latest.version} "
                        f"({describe_diff(diff)}); give the change its own [reserve_set] reason (the current one, "
                        f"{reason[:80]!r}, is the reason of version {latest.version})"
                    )
                reason = f"{reason} (devnet: the built-in wallets changed)"
            row = ReserveSetVersion(
                version=1 if latest is None else latest.version + 1,
                hash=rs.hash,
                created_at=now,
                reason=reason,
                wallet_count=len(rs.wallets),
                declaration=json.dumps(rs.declaration(), separators=(",", ":")),
                diff=None if diff is None else json.dumps(diff, separators=(",", ":")),
            )
            await repo.insert_reserve_set(session, row)
            await audit.append(
                session,
                actor="operator",
                action="reserve_set.version",
                at=now,
                detail={
                    "version": row.version,
                    "hash": row.hash,
                    "reason": reason[:500],
                    "wallets": row.wallet_count,
                    "change": describe_diff(diff)[:500],
                },
            )
    log.info("reserve set version %d (%s): %s", row.version, rs.hash[:12], describe_diff(diff))
    return row


def source_wallets(sources) -> list[tuple[str, tuple]]:
    """(source name, wallet specs) of the sources; a config without wallets declares none."""
    return [(s.settings.name, tuple(s.settings.config.wallets)) for s in sources]
