"""Supply deployment entries and the rule that counts each token once (format 3: roles, held, bridges).

native: circulating = total_supply - sum(held balances); supply_sat = ceil_sat(circulating, decimals).
bridge: circulating = total_supply; supply_sat = max(ceil_sat(total_supply, decimals),
ceil_sat(L, source decimals)) where L sums the source entry's lockbox/escrow balances held for this
bridge (0 when the source failed). So a bridge pair counts max(locked, minted). Format 1 and 2
entries (no `role`) count ceil_sat(total_supply). The engine builds with it, the verifier recomputes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chains.base import HELD_CATEGORIES
from reserves.attestation import arithmetic as ar
from reserves.attestation.fields import amount, block_json, count, name as name_json
from reserves.errors import InvalidInput

ROLES = ("native", "bridge")
LOCKED = ("lockbox", "escrow")  # the categories a bridge's backing sits in
MAX_HELD = 1000
MAX_REASON = 500
MAX_ENDPOINTS = 1000
CHAIN_ADDRESS = re.compile(r"^[\x21-\x7e]{1,128}$")


@dataclass(frozen=True)
class Counted:
    """What one read deployment entry counts: `circulating` raw token units, `supply_sat` satoshis."""

    circulating: int
    supply_sat: int


def deployment_json(result: Any, head: dict) -> dict:
    """The format 3 entry of a read deployment (`result` is a SupplyResult with a reading).

    `circulating` and `supply_sat` are filled in by `fill_counts` once every entry exists (a
    bridge's figure needs its source's). Raises InvalidInput when the reading breaks a rule.
    """
    reading = result.reading
    block = block_json(reading.block)
    if block["chain_id"] != result.chain_id:
        raise InvalidInput(f"read on {block['chain_id']}, configured for {result.chain_id}")
    total = amount(reading.total_supply, "total_supply")
    held = sorted((held_json(h) for h in reading.held), key=lambda h: (h["address"].lower(), h["category"]))
    entry = {**head, **block, "max_age_seconds": count(result.max_age_seconds, "max_age_seconds"),
             "role": result.role}
    if result.role == "bridge":
        entry["bridge_source"] = name_json(result.bridge_source, "bridge_source")
    elif result.role != "native" or result.bridge_source is not None:
        raise InvalidInput("role must be 'native' (no bridge_source) or 'bridge'")
    entry |= {"decimals": _decimals(reading.decimals), "total_supply": total, "held": held}
    if reading.rpc is not None:
        entry["rpc"] = rpc_json(reading.rpc)
    problems = entry_problems(entry)
    if problems:
        raise InvalidInput(problems[0])
    return entry


def held_json(h: Any) -> dict:
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


def rpc_json(rpc: Any) -> dict:
    values = {k: getattr(rpc, k) for k in ("endpoints", "answered", "agreed", "quorum")}
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ENDPOINTS:
            raise InvalidInput(f"rpc {key} must be an integer in 0..{MAX_ENDPOINTS}")
    return values


def _decimals(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= ar.MAX_DECIMALS:
        raise InvalidInput(f"decimals must be an integer in 0..{ar.MAX_DECIMALS}")
    return value


def entry_problems(d: dict) -> list[str]:
    """What is wrong inside one schema-valid format 3 entry on its own (held list, rpc agreement)."""
    return held_problems(d) + rpc_problems(d)


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
            problems.append(f"held {h['address']}: a lockbox must name the bridge it backs (else its tokens "
                            "would be subtracted here and counted nowhere)")
    held_total = sum(int(h["balance"]) for h in held)
    if held_total > int(d["total_supply"]):
        problems.append(f"held balances sum to {held_total}, more than total_supply {d['total_supply']}")
    return problems


def rpc_problems(d: dict) -> list[str]:
    """An `rpc` member that does not show a quorum agreeing (1 <= quorum <= agreed <= answered <= endpoints)."""
    rpc = d.get("rpc")
    if rpc is None or 1 <= rpc["quorum"] <= rpc["agreed"] <= rpc["answered"] <= rpc["endpoints"]:
        return []
    return [f"rpc agreement {rpc['agreed']} of {rpc['answered']} answered ({rpc['endpoints']} endpoints) does not "
            f"meet quorum {rpc['quorum']} (1 <= quorum <= agreed <= answered <= endpoints)"]


def locked_for(source: dict | None, bridge: str) -> int:
    """L: the source entry's lockbox/escrow balances held for `bridge` (0 when the source failed)."""
    if source is None or "error" in source or "held" not in source:
        return 0
    return sum(int(h["balance"]) for h in source["held"] if h["category"] in LOCKED and h.get("bridge") == bridge)


def counted(d: dict, by_name: dict[str, dict]) -> Counted:
    """What read entry `d` counts, by its format's rule; `by_name` maps names to every entry.

    Raises InvalidInput when held balances exceed total_supply (no negative circulating supply).
    """
    total = int(d["total_supply"])
    if "role" not in d:  # formats 1 and 2
        return Counted(total, ar.liabilities_sat(total, d["decimals"]))
    if d["role"] == "bridge":
        source = by_name.get(d["bridge_source"])
        locked = locked_for(source, d["name"])
        locked_sat = ar.liabilities_sat(locked, source["decimals"]) if locked else 0
        return Counted(total, max(ar.liabilities_sat(total, d["decimals"]), locked_sat))
    circulating = total - sum(int(h["balance"]) for h in d["held"])
    if circulating < 0:
        raise InvalidInput(f"{d['name']}: held balances exceed total_supply")
    return Counted(circulating, ar.liabilities_sat(circulating, d["decimals"]))


def supply_sat_total(deployments: list[dict]) -> int:
    """supply.total_sat: the sum of what each read entry counts (failed entries count nothing)."""
    by_name = {d["name"]: d for d in deployments}
    return sum(counted(d, by_name).supply_sat for d in deployments if "error" not in d)


def fill_counts(deployments: list[dict]) -> None:
    """Write `circulating` and `supply_sat` into every read format 3 entry (in place, key order kept)."""
    by_name = {d["name"]: d for d in deployments}
    for d in deployments:
        if "error" not in d:
            c = counted(d, by_name)
            d["circulating"], d["supply_sat"] = str(c.circulating), str(c.supply_sat)


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
                problems.append(f"{d['name']}: held {h['address']} backs {h['bridge']!r}, which is not a bridge "
                                f"of {d['name']!r}")
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
