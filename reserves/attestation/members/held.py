"""Held balances of a deployment (format 3 on: treasury, burn, lockbox, escrow) and the bridges its lockboxes back:
built, checked.

A native deployment subtracts what it holds; a lockbox or escrow names the bridge it backs, and
that bridge counts max(minted, locked) (members/supply.py), so a locked token is counted once.
"""

from __future__ import annotations

import re
from typing import Any

from chains.base import HELD_CATEGORIES
from reserves.attestation.fields import amount
from reserves.attestation.fields import name as name_json
from reserves.errors import InvalidInput

LOCKED = ("lockbox", "escrow")  # the categories a bridge's backing sits in
MAX_HELD = 1000
MAX_REASON = 500
CHAIN_ADDRESS = re.compile(r"^[\x21-\x7e]{1,128}$")


def held_json(h: Any) -> dict:
    """One held balance (chains.base.HeldBalance); raises InvalidInput for a holder that breaks a rule."""
    holder = h.holder
    if not isinstance(holder.address, str) or not CHAIN_ADDRESS.match(holder.address):
        raise InvalidInput("held address is not 1-128 printable characters")
    if holder.category not in HELD_CATEGORIES:
        raise InvalidInput(f"held category must be one of {', '.join(HELD_CATEGORIES)}")
    if not isinstance(holder.reason, str) or not 1 <= len(holder.reason) <= MAX_REASON:
        raise InvalidInput(f"held reason must be 1-{MAX_REASON} characters")
    out = {"address": holder.address, "category": holder.category, "reason": holder.reason}
    if holder.bridge is not None:
        out["bridge"] = name_json(holder.bridge, "held bridge")
    return out | {"balance": amount(h.balance, "held balance")}


def held_problems(d: dict) -> list[str]:
    """A held list that would subtract wrongly: too long, on a bridge, an address twice, over total_supply."""
    problems = []
    held = d["held"]
    if len(held) > MAX_HELD:
        problems.append(f"more than {MAX_HELD} held addresses")
    if d["role"] == "bridge" and held:
        problems.append("a bridge counts its whole supply: its held list must be empty")
    addresses = [h["address"].lower() for h in held]
    if len(set(addresses)) != len(addresses):
        problems.append("an address is held twice (it would be subtracted twice)")
    for h in held:
        if "bridge" in h and h["category"] not in LOCKED:
            problems.append(f"held {h['address']}: only a lockbox or escrow names a bridge")
        if h["category"] == "lockbox" and "bridge" not in h:
            problems.append(
                f"held {h['address']}: a lockbox must name the bridge it backs (else its tokens "
                "would be subtracted here and counted nowhere)"
            )
    held_total = sum(int(h["balance"]) for h in held)
    if held_total > int(d["total_supply"]):
        problems.append(f"held balances sum to {held_total}, more than total_supply {d['total_supply']}")
    return problems


def locked_for(source: dict | None, bridge: str) -> int:
    """L: the source entry's lockbox/escrow balances held for `bridge` (0 when the source failed)."""
    if source is None or "error" in source or "held" not in source:
        return 0
    return sum(int(h["balance"]) for h in source["held"] if h["category"] in LOCKED and h.get("bridge") == bridge)


def link_problems(deployments: list[dict]) -> list[str]:
    """Bridges and held lockboxes that do not point at each other as the rule needs.

    A bridge's source must be another entry, native when read, holding at least one lockbox for
    it; a held item naming a bridge must name an entry that, when read, is a bridge of this one.
    """
    by_name = {d["name"]: d for d in deployments}
    problems = []
    for d in (d for d in deployments if "error" not in d and "role" in d):
        if d["role"] == "bridge":
            problems += _bridge_problems(d, by_name.get(d["bridge_source"]))
        for h in (h for h in d["held"] if "bridge" in h):
            target = by_name.get(h["bridge"])
            if target is None:
                problems.append(f"{d['name']}: held {h['address']} backs {h['bridge']!r}, which is not listed")
            elif "error" not in target and (target.get("role") != "bridge" or target["bridge_source"] != d["name"]):
                problems.append(
                    f"{d['name']}: held {h['address']} backs {h['bridge']!r}, which is not a bridge of {d['name']!r}"
                )
    return problems


def _bridge_problems(d: dict, source: dict | None) -> list[str]:
    name = d["name"]
    if d["bridge_source"] == name:
        return [f"{name}: a bridge cannot be its own source"]
    if source is None:
        return [f"{name}: bridge_source {d['bridge_source']!r} is not listed"]
    if "error" in source:
        return []  # L = 0: the failed source makes the attestation stale anyway
    if source.get("role") != "native":
        return [f"{name}: bridge_source {source['name']!r} is not a native deployment"]
    if not any(h.get("bridge") == name and h["category"] in LOCKED for h in source["held"]):
        return [f"{name}: its source {source['name']!r} holds no lockbox or escrow for it"]
    return []


def check(doc: dict) -> list[str]:
    """Held lists that subtract once and bridges linked to their native source's lockboxes."""
    deployments = doc["supply"]["deployments"]
    problems = [f"{d['name']}: {p}" for d in deployments if "error" not in d for p in held_problems(d)]
    return problems + link_problems(deployments)
