"""The reserve tiers and locked contracts as the newest attestation signed them (its format 5 `tiers`
member): the envelope GET /api/v1/reserves/tiers serves, and the read model the pages show, made from
the same decoded document so the two never differ. Shares and targets are basis points written as
percentages with two decimals (floor); amounts exact BTC; the words say what colour never alone does.
Beside the member as signed, the envelope carries `unlocking`: how far each contract is from
unlocking, which the portal derives from the document (reserves.read.unlocking), never signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import msgspec

from reserves.read.display import btc, percent
from reserves.read.unlocking import Countdown, unlocking

# What each finding code means, for people (members/tiers.py and members/contracts.py make them).
FINDING_WORDS = {
    "tier_out_of_band": "the tier's share of the reserves is outside its declared band",
    "wallet_unassigned": "a wallet's counted coins are in no declared tier",
    "contract_missing": "the chain has no output at the declared outpoint",
    "contract_unread": "the outpoint could not be read (its source or the look-up failed)",
    "script_mismatch": "the output does not pay the address the declared script derives",
    "amount_mismatch": "the output's amount is not the declared amount",
    "lock_mismatch": "the script's time lock is not the declared unlock condition",
    "expired": "the time lock is open: the contract counts as liquid now",
    "spent": "the funding output was spent",
}
# Where a contract's outpoint was found (the entry's `observed`), in words.
OBSERVED_WORDS = {
    "counted": "counted in the reserves",
    "uncounted": "seen, not counted yet (too few confirmations)",
    "spent": "spent on chain",
    "elsewhere": "unspent, but not a reserve output",
    "missing": "no such output on chain",
    "unread": "not read",
}


@dataclass(frozen=True)
class TierRow:
    name: str
    locked: bool
    unlocked_to: str | None  # a locked tier's expired outputs count there
    wallets: list[str]
    amount_sat: str
    amount_btc: str
    share: str | None  # "37.21%"; None when the share could not be computed (a source failed)
    target: str  # "40.00%"
    band: str  # "5.00%": the share may be target +/- band
    in_band: bool | None
    verdict: str  # "in band", "outside its band" or "share unknown"


@dataclass(frozen=True)
class FindingRow:
    code: str
    category: str  # "policy" or "contract"
    subject: str
    detail: str  # as signed
    meaning: str  # what the code means, in words


@dataclass(frozen=True)
class ContractRow:
    name: str
    outpoint: str  # "<txid>:<vout>"
    wallet: str
    tier: str | None
    amount_btc: str  # declared
    seen_btc: str | None  # of the output found
    address: str
    script_hash: str
    unlock: str  # "after block 180" or "after 2030-01-01 00:00:00 UTC"
    status: str  # pending, active, expired, spent
    observed: str  # in words
    countdown: Countdown | None  # how far from unlocking (not signed); None when not given
    findings: list[FindingRow] = field(default_factory=list)


@dataclass(frozen=True)
class TiersView:
    """The `tiers` member of attestation `attestation_id` for people."""

    attestation_id: str
    sequence: int
    complete: bool
    basis_btc: str
    tiers: list[TierRow]
    contracts: list[ContractRow]
    findings: list[FindingRow]

    @property
    def outside(self) -> list[TierRow]:
        return [t for t in self.tiers if t.in_band is False]


@dataclass(frozen=True)
class TiersRead:
    """`envelope`: {id, sequence, tiers, unlocking} with the member as signed and how far each contract
    is from unlocking (the API's JSON); `view`: the same for the pages, None when the attestation
    declares no tiers (format 4 or older, or none declared)."""

    envelope: dict[str, Any]
    view: TiersView | None


def tiers_read(document: bytes) -> TiersRead:
    """From an attestation envelope's bytes ({id, attestation}, as GET /api/v1/attestations/{id} serves)."""
    envelope = msgspec.json.decode(document)
    body = envelope["attestation"]
    member = body.get("tiers")
    left, counts = unlocking(body)
    out = {"id": envelope["id"], "sequence": body["sequence"], "tiers": member, "unlocking": left}
    view = None if member is None else tiers_view(envelope["id"], body["sequence"], member, counts)
    return TiersRead(out, view)


def tiers_view(
    attestation_id: str, sequence: int, member: dict[str, Any], counts: dict[str, Countdown] | None = None
) -> TiersView:
    """The member for people; `counts`: each contract's Countdown by name (reserves.read.unlocking)."""
    counts = counts or {}
    return TiersView(
        attestation_id=attestation_id,
        sequence=sequence,
        complete=member["complete"],
        basis_btc=btc(member["basis_sat"]),
        tiers=[tier_row(t) for t in member["tiers"]],
        contracts=[contract_row(c, counts.get(c["name"])) for c in member["contracts"]],
        findings=[finding_row(f) for f in member["findings"]],
    )


def tier_row(t: dict[str, Any]) -> TierRow:
    in_band = t["in_band"]
    verdict = "share unknown" if in_band is None else "in band" if in_band else "outside its band"
    return TierRow(
        name=t["name"],
        locked=t["locked"],
        unlocked_to=t["unlocked_to"],
        wallets=list(t["wallets"]),
        amount_sat=t["amount_sat"],
        amount_btc=btc(t["amount_sat"]),
        share=percent(t["share_bp"]),
        target=percent(t["target_bp"]),
        band=percent(t["band_bp"]),
        in_band=in_band,
        verdict=verdict,
    )


def finding_row(f: dict[str, Any]) -> FindingRow:
    meaning = FINDING_WORDS.get(f["code"], f["code"].replace("_", " "))
    return FindingRow(f["code"], f["category"], f["subject"], f["detail"], meaning)


def unlock_text(unlock: dict[str, Any]) -> str:
    """`after(at)` in words: a block height, or a Unix time as UTC."""
    at = int(unlock["at"])
    if unlock["kind"] == "height":
        return f"after block {at}"
    return "after " + datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def contract_row(c: dict[str, Any], countdown: Countdown | None = None) -> ContractRow:
    observed = OBSERVED_WORDS.get(c["observed"], c["observed"])
    if c["seen_address"] is not None and c["seen_address"] != c["address"]:
        observed += f", paying {c['seen_address']}"
    return ContractRow(
        name=c["name"],
        outpoint=f"{c['txid']}:{c['vout']}",
        wallet=c["wallet"],
        tier=c["tier"],
        amount_btc=btc(c["amount_sat"]),
        seen_btc=btc(c["value_sat"]),
        address=c["address"],
        script_hash=c["script_hash"],
        unlock=unlock_text(c["unlock"]),
        status=c["status"],
        observed=observed,
        countdown=countdown,
        findings=[
            finding_row({"code": code, "category": "contract", "subject": c["name"], "detail": ""})
            for code in c["findings"]
        ],
    )
