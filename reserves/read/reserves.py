"""Read models of the reserve side: wallets with their custody policy and totals, reserve-set versions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from reserves.attestation.members.wallets import wallet_totals
from reserves.declarations.reserve_set import describe_diff
from reserves.read.display import btc, iso


@dataclass(frozen=True)
class KeyView:
    id: str
    fingerprint: str | None
    key: str
    path: str | None


@dataclass(frozen=True)
class PolicyView:
    """The custody policy a wallet declares: `custody` is "2 of 3", "1 key" or "address list"."""

    script_type: str
    custody: str
    threshold: int | None
    keys_total: int
    keys: list[KeyView]
    timelocks: list[str]
    description: str
    script_declared: bool  # False for address lists: who can spend is only asserted


@dataclass(frozen=True)
class LockedUntil:
    """The earliest unlock among a wallet's locked outputs: a block height and/or a time (Unix s)."""

    height: int | None
    time: int | None

    @property
    def text(self) -> str:
        """As text: "block 800000", "2030-01-01 00:00 UTC", or both joined by "or" (for the dashboard)."""
        parts = [f"block {self.height}"] if self.height is not None else []
        if self.time is not None:
            parts.append(datetime.fromtimestamp(self.time, timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
        return " or ".join(parts)


@dataclass(frozen=True)
class WalletView:
    name: str
    source: str
    label: str | None
    policy: PolicyView | None  # None when the attestation's reserve set does not declare it (format 1)
    total_sat: str
    total_btc: str
    spendable_sat: str
    spendable_btc: str
    locked_sat: str
    locked_btc: str
    locked_until: LockedUntil | None
    utxo_count: int
    uncounted_count: int


@dataclass(frozen=True)
class WalletsView:
    """Per-wallet figures of the newest attestation (the JSON of /api/v1/wallets)."""

    attestation_id: str
    sequence: int
    issued_at: str
    valid_at: dict | None
    reserve_set: dict | None
    count_locked: bool
    wallets: list[WalletView] = field(default_factory=list)
    failed_sources: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class ReserveSetVersionView:
    version: int
    hash: str
    created_at: str
    reason: str
    wallet_count: int
    diff: dict | None
    diff_summary: str
    # The canonical declaration (sha256 of its RFC 8785 bytes is `hash`); only when one version is asked for.
    declaration: dict | None = None


def policy_view(policy: dict | None) -> PolicyView | None:
    if not isinstance(policy, dict):
        return None
    keys = [
        KeyView(str(k.get("id", "")), k.get("fingerprint"), str(k.get("key", "")), k.get("path"))
        for k in policy.get("keys") or []
        if isinstance(k, dict)
    ]
    script_type = str(policy.get("script_type", "unknown"))
    threshold = policy.get("threshold") if isinstance(policy.get("threshold"), int) else None
    description = str(policy.get("description") or "")
    if script_type == "addresses":
        custody = "address list"
    elif threshold is not None:
        custody = f"{threshold} of {len(keys)}"
    elif len(keys) == 1:
        custody = "1 key"
    else:
        # A miniscript policy (e.g. "2 of 3 keys; or key D after block N"): only its sentence says it.
        custody = description.split(";")[0][:80] or f"{len(keys)} keys"
    return PolicyView(
        script_type=script_type,
        custody=custody,
        threshold=threshold,
        keys_total=len(keys),
        keys=keys,
        timelocks=[str(t) for t in policy.get("timelocks") or []],
        description=description,
        script_declared=script_type != "addresses",
    )


def _locked_until(utxos: list[dict]) -> LockedUntil | None:
    locks = [u["lock"] for u in utxos if u.get("lock")]
    if not locks:
        return None
    heights = [lock["until"] for lock in locks if lock["kind"] == "height"]
    times = [lock["until"] for lock in locks if lock["kind"] == "time"]
    return LockedUntil(min(heights) if heights else None, min(times) if times else None)


def _source_wallets(src: dict, declared: dict[str, dict]) -> list[WalletView]:
    utxos = [{**u, "wallet": u.get("wallet") or src["name"]} for u in src["utxos"]]
    uncounted = [u.get("wallet") or src["name"] for u in src.get("uncounted", [])]
    totals = src.get("wallets")
    if totals is None:  # format 1: one wallet per source, nothing locked
        totals = wallet_totals(utxos, [])
    out = []
    for w in totals:
        decl = declared.get(w["name"], {})
        mine = [u for u in utxos if u["wallet"] == w["name"]]
        out.append(
            WalletView(
                name=w["name"],
                source=src["name"],
                label=decl.get("label"),
                policy=policy_view(decl.get("policy")),
                total_sat=w["total_sat"],
                total_btc=btc(w["total_sat"]),
                spendable_sat=w["spendable_sat"],
                spendable_btc=btc(w["spendable_sat"]),
                locked_sat=w["locked_sat"],
                locked_btc=btc(w["locked_sat"]),
                locked_until=_locked_until(mine),
                utxo_count=w["utxo_count"],
                uncounted_count=sum(1 for name in uncounted if name == w["name"]),
            )
        )
    return out


def wallets_view(att_id: str, body: dict, declaration: dict | None) -> WalletsView:
    """Per-wallet view of one attestation body, labelled from the reserve-set declaration it used."""
    declared = {w["name"]: w for w in (declaration or {}).get("wallets", []) if isinstance(w, dict) and "name" in w}
    res = body["reserves"]
    wallets, failed = [], []
    for src in res["sources"]:
        if "error" in src:
            failed.append({"name": src["name"], "error": f"{src['error']['code']}: {src['error']['detail']}"})
        else:
            wallets += _source_wallets(src, declared)
    return WalletsView(
        attestation_id=att_id,
        sequence=body["sequence"],
        issued_at=body["issued_at"],
        valid_at=res.get("valid_at"),
        reserve_set=res.get("reserve_set"),
        count_locked=body["policy"].get("count_locked", True),
        wallets=sorted(wallets, key=lambda w: w.name),
        failed_sources=failed,
    )


def version_view(row, *, with_declaration: bool = False) -> ReserveSetVersionView:
    diff = None if row.diff is None else json.loads(row.diff)
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=timezone.utc)
    return ReserveSetVersionView(
        version=row.version,
        hash=row.hash,
        created_at=iso(created),
        reason=row.reason,
        wallet_count=row.wallet_count,
        diff=diff,
        diff_summary=describe_diff(diff),
        declaration=json.loads(row.declaration) if with_declaration else None,
    )


def declaration_of(row) -> dict[str, Any] | None:
    return None if row is None else json.loads(row.declaration)
