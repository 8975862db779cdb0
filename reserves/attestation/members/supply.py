"""The `supply` member's deployments and the rule that counts each token once (format 3 on: roles, held, bridges):
built, checked.

native: circulating = total_supply - sum(held balances); supply_sat = ceil_sat(circulating, decimals).
bridge: circulating = total_supply; supply_sat = max(ceil_sat(total_supply, decimals),
ceil_sat(L, source decimals)) where L sums the source entry's lockbox/escrow balances held for this
bridge (0 when the source failed). So a bridge pair counts max(locked, minted). Format 1 and 2
entries (no `role`) count ceil_sat(total_supply). The engine builds with it, the verifier recomputes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chains.base import SupplyReading
from reserves.attestation import arithmetic as ar
from reserves.attestation import fields as f
from reserves.attestation.members import held as held_
from reserves.errors import InvalidInput

ROLES = ("native", "bridge")
MAX_ENDPOINTS = 1000


@dataclass(frozen=True)
class SupplyResult:
    """Outcome of reading one token deployment; `chain_id`/`contract` come from configuration so a
    failed deployment still says which one it was."""

    name: str
    kind: str
    chain_id: str
    contract: str
    max_age_seconds: int
    reading: SupplyReading | None = None
    error_code: str | None = None
    error_detail: str | None = None
    # "native", or "bridge" (a lock-and-mint representation of the native deployment `bridge_source`).
    role: str = "native"
    bridge_source: str | None = None

    @classmethod
    def failed(
        cls, name: str, kind: str, chain_id: str, contract: str, max_age_seconds: int, exc: BaseException
    ) -> SupplyResult:
        code, detail = f.error_parts(exc)
        return cls(name, kind, chain_id, contract, max_age_seconds, None, code, detail)


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
    block = f.block_json(reading.block)
    if block["chain_id"] != result.chain_id:
        raise InvalidInput(f"read on {block['chain_id']}, configured for {result.chain_id}")
    total = f.amount(reading.total_supply, "total_supply")
    held = sorted((held_.held_json(h) for h in reading.held), key=lambda h: (h["address"].lower(), h["category"]))
    entry = {
        **head,
        **block,
        "max_age_seconds": f.count(result.max_age_seconds, "max_age_seconds"),
        "role": result.role,
    }
    if result.role == "bridge":
        entry["bridge_source"] = f.name(result.bridge_source, "bridge_source")
    elif result.role != "native" or result.bridge_source is not None:
        raise InvalidInput("role must be 'native' (no bridge_source) or 'bridge'")
    entry |= {"decimals": _decimals(reading.decimals), "total_supply": total, "held": held}
    if reading.rpc is not None:
        entry["rpc"] = rpc_json(reading.rpc)
    problems = held_.held_problems(entry) + rpc_problems(entry)
    if problems:
        raise InvalidInput(problems[0])
    return entry


def deployment_entry(s: SupplyResult) -> dict:
    """JSON of one deployment without its counts (`fill_counts` adds them); a failed read, or a
    reading that breaks a rule (`invalid_reading`), is an error entry."""
    head = {"name": s.name, "kind": s.kind, "chain_id": s.chain_id, "contract": s.contract}
    if s.reading is None:
        return {**head, "error": f.error_json(s.error_code or "error", s.error_detail)}
    try:
        return deployment_json(s, head)
    except (InvalidInput, AttributeError, TypeError) as exc:
        return {**head, "error": f.invalid_reading(exc)}


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


def rpc_problems(d: dict) -> list[str]:
    """An `rpc` member that does not show a quorum agreeing (1 <= quorum <= agreed <= answered <= endpoints)."""
    rpc = d.get("rpc")
    if rpc is None or 1 <= rpc["quorum"] <= rpc["agreed"] <= rpc["answered"] <= rpc["endpoints"]:
        return []
    return [
        f"rpc agreement {rpc['agreed']} of {rpc['answered']} answered ({rpc['endpoints']} endpoints) does not "
        f"meet quorum {rpc['quorum']} (1 <= quorum <= agreed <= answered <= endpoints)"
    ]


def counted(d: dict, by_name: dict[str, dict]) -> Counted:
    """What read entry `d` counts, by its format's rule; `by_name` maps names to every entry.

    Raises InvalidInput when held balances exceed total_supply (no negative circulating supply).
    """
    total = int(d["total_supply"])
    if "role" not in d:  # formats 1 and 2 have no roles: every token counts
        return Counted(total, ar.liabilities_sat(total, d["decimals"]))
    if d["role"] == "bridge":
        source = by_name.get(d["bridge_source"])
        locked = held_.locked_for(source, d["name"])
        locked_sat = ar.liabilities_sat(locked, source["decimals"]) if locked and source is not None else 0
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


def build(inputs, body: dict) -> None:
    """deployments (`inputs.entries.deployments`), after the totals."""
    body.setdefault("supply", {}).update(deployments=inputs.entries.deployments)


def check(doc: dict) -> list[str]:
    """Each read entry's supply_sat (and, format 3 on, circulating) against its format's rule."""
    problems = []
    deployments = doc["supply"]["deployments"]
    if len({d["name"] for d in deployments}) != len(deployments):
        problems.append("supply deployment names repeat")
    by_name = {d["name"]: d for d in deployments}
    for d in (d for d in deployments if "error" not in d):
        try:
            expected = counted(d, by_name)
        except InvalidInput as exc:
            problems.append(exc.detail)
            continue
        if "circulating" in d and int(d["circulating"]) != expected.circulating:
            problems.append(
                f"{d['name']}: circulating {d['circulating']} but the {d['role']} rule gives {expected.circulating}"
            )
        if int(d["supply_sat"]) != expected.supply_sat:
            rule = f"the {d['role']} rule" if "role" in d else "ceil rounding"
            problems.append(f"{d['name']}: supply_sat {d['supply_sat']} but {rule} gives {expected.supply_sat}")
    return problems


def check_rpc(doc: dict) -> list[str]:
    deployments = doc["supply"]["deployments"]
    return [f"{d['name']}: {p}" for d in deployments if "error" not in d for p in rpc_problems(d)]
