"""How far each locked contract is from unlocking, derived from a signed attestation by the portal (not signed).

A height lock `after(at)` opens once the tip reaches `at` (a spend can then be mined in the next
block; members/contracts.py calls it `expired` from that tip on): blocks left = `at` - the tip height
of the snapshot (`reserves.valid_at.height`), and a rough time at 600 s a block. A time lock opens
once the chain's median time past passes `at`: time left = `at` - the attestation's `issued_at`
(the chain's median time lags the clock by about an hour, so a contract may read `unlocked` here a
little before its status leaves `active`). Reached, or `expired` by the document: unlocked. A spent
contract has nothing left to unlock; without a tip, blocks left are unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reserves.read.display import rough_duration

SECONDS_PER_BLOCK = 600  # Bitcoin's target spacing: an estimate, blocks come when they come


@dataclass(frozen=True)
class Countdown:
    """One contract's distance to its unlock condition. `unlocked` None: not known (no tip was read) or not
    applicable (spent); `blocks_left` for height locks only (0 once reached); `seconds_left` exact from
    the issue time for a time lock, `estimated` from blocks for a height lock (0 once reached)."""

    name: str
    kind: str  # "height" or "time"
    at: int
    unlocked: bool | None
    blocks_left: int | None
    seconds_left: int | None
    estimated: bool
    text: str  # for people: "12 blocks, about 2 hours", "about 3 days", "unlocked", ...

    def json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "at": self.at,
            "unlocked": self.unlocked,
            "blocks_left": self.blocks_left,
            "seconds_left": self.seconds_left,
            "estimated": self.estimated,
        }


def _words(kind: str, unlocked: bool | None, blocks: int | None, seconds: int | None, status: str) -> str:
    if status == "spent":
        return "not applicable: spent"
    if unlocked is None:
        return "unknown: no tip was read"
    if unlocked:
        return "unlocked"
    if kind == "height" and blocks is not None and seconds is not None:
        return f"{blocks:,} block{'s' if blocks != 1 else ''}, {rough_duration(seconds)}"
    return rough_duration(seconds or 0)


def countdown(contract: dict[str, Any], tip: int | None, issued_at: datetime) -> Countdown:
    """The Countdown of a contract entry of the `tiers` member, at tip height `tip` (None: no tip read)."""
    kind, at, status = contract["unlock"]["kind"], int(contract["unlock"]["at"]), contract["status"]
    blocks: int | None = None
    seconds: int | None = None
    unlocked: bool | None = None
    if status == "expired":  # the document says the lock is open at the tip
        unlocked, blocks, seconds = True, 0 if kind == "height" else None, 0
    elif status == "spent":
        pass
    elif kind == "height":
        if tip is not None:
            blocks = max(0, at - tip)
            unlocked, seconds = blocks == 0, blocks * SECONDS_PER_BLOCK
    else:
        seconds = max(0, at - int(issued_at.timestamp()))
        unlocked = seconds == 0
    estimated = kind == "height" and seconds is not None
    text = _words(kind, unlocked, blocks, seconds, status)
    return Countdown(contract["name"], kind, at, unlocked, blocks, seconds, estimated, text)


def unlocking(body: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Countdown]]:
    """(the JSON the tiers envelope carries as `unlocking`, each contract's Countdown by name) of an
    attestation body; (None, {}) without a `tiers` member."""
    member = body.get("tiers")
    if member is None:
        return None, {}
    valid_at = body["reserves"].get("valid_at")
    tip = None if valid_at is None else int(valid_at["height"])
    issued = datetime.fromisoformat(body["issued_at"].replace("Z", "+00:00"))
    counts = {c["name"]: countdown(c, tip, issued) for c in member["contracts"]}
    out = {
        "tip_height": tip,
        "issued_at": body["issued_at"],
        "seconds_per_block": SECONDS_PER_BLOCK,
        "contracts": [cd.json() for cd in counts.values()],
    }
    return out, counts
