"""The `tiers` member (format 5): each declared reserve tier's amount and share against its target and band, the
registry of locked contracts (members/contracts.py), and the findings; built, checked.

The rule (docs/attestation.md, "Reserve tiers"), on the counted outputs of the read sources:
- an output counts in the tier of its wallet, except that an output of a `locked` tier whose
  `lock` is null (its time lock open at the tip: an expired contract) counts in that tier's
  `unlocked_to`; a spent output is no longer listed, so it counts nowhere;
- `basis_sat` = the sum of every counted output (locked or not, whatever `policy.count_locked`);
- `share_bp` = floor(amount_sat * 10000 / basis_sat), so shares never sum above 10000 and each is
  less than 1 bp below the exact share; null when `basis_sat` is 0 or a reserve source failed
  (`complete` false): a share of what could not be read would mislead;
- `in_band` = |share_bp - target_bp| <= band_bp (null with the share). Leaving the band is a
  `policy` finding; it never touches the status, which stays the ratio's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reserves.attestation.arithmetic import BP_SCALE
from reserves.attestation.members import contracts as c_
from reserves.errors import InvalidInput

OUT_OF_BAND = "tier_out_of_band"
UNASSIGNED = "wallet_unassigned"


@dataclass(frozen=True)
class TierInputs:
    """What the member is built from: the declared tiers and contracts (reserves.settings.tiers
    values, or anything with their fields) and what the chain said of contract outpoints the
    reading does not list (outpoint -> contracts.ChainOutpoint)."""

    tiers: tuple[Any, ...]
    contracts: tuple[Any, ...] = ()
    chain: dict[tuple[str, int], c_.ChainOutpoint] = field(default_factory=dict)


def share_bp(amount: int, basis: int) -> int:
    """floor(amount * 10000 / basis): never above the exact share, less than 1 bp below it."""
    if basis <= 0 or not 0 <= amount <= basis:
        raise InvalidInput("a tier's amount must be between 0 and the basis, the basis positive")
    return amount * BP_SCALE // basis


def in_band(share: int, target: int, band: int) -> bool:
    return abs(share - target) <= band


def declared_json(t: Any) -> dict:
    """A tier's declaration as the member lists it (amounts added by `tier_figures`)."""
    return {
        "name": t.name,
        "locked": bool(t.locked),
        "unlocked_to": t.unlocked_to,
        "wallets": sorted(t.wallets),
        "target_bp": str(t.target_bp),
        "band_bp": str(t.band_bp),
    }


def _home(tiers: list[dict]) -> dict[str, dict]:
    return {w: t for t in tiers for w in t["wallets"]}


def tier_amounts(tiers: list[dict], sources: list[dict]) -> tuple[dict[str, int], int, dict[str, int]]:
    """(tier name -> satoshis, basis, unassigned wallet -> satoshis) of the read sources' counted outputs."""
    home, by_name = _home(tiers), {t["name"]: t for t in tiers}
    amounts = {t["name"]: 0 for t in tiers}
    unassigned: dict[str, int] = {}
    basis = 0
    for s in sources:
        if "error" in s:
            continue
        for u in s["utxos"]:
            value = int(u["value_sat"])
            basis += value
            tier = home.get(u["wallet"])
            if tier is None:
                unassigned[u["wallet"]] = unassigned.get(u["wallet"], 0) + value
                continue
            if tier["locked"] and u["lock"] is None:
                tier = by_name.get(tier["unlocked_to"], tier)
            amounts[tier["name"]] += value
    return amounts, basis, unassigned


def tier_figures(tiers: list[dict], sources: list[dict]) -> tuple[list[dict], int, bool, dict[str, int]]:
    """(the tiers with amount_sat, share_bp and in_band; basis; complete; unassigned) by the rule."""
    amounts, basis, unassigned = tier_amounts(tiers, sources)
    complete = all("error" not in s for s in sources)
    out = []
    for t in tiers:
        amount = amounts[t["name"]]
        share = share_bp(amount, basis) if complete and basis > 0 else None
        band = None if share is None else in_band(share, int(t["target_bp"]), int(t["band_bp"]))
        out.append(
            {
                **{k: t[k] for k in ("name", "locked", "unlocked_to", "wallets", "target_bp", "band_bp")},
                "amount_sat": str(amount),
                "share_bp": None if share is None else str(share),
                "in_band": band,
            }
        )
    return out, basis, complete, unassigned


def band_findings(tiers: list[dict], unassigned: dict[str, int]) -> list[dict]:
    """A `policy` finding per tier outside its band, and per wallet in no tier."""
    out = []
    for t in tiers:
        if t["in_band"] is False:
            out.append(
                {
                    "code": OUT_OF_BAND,
                    "category": "policy",
                    "subject": t["name"],
                    "detail": f"share {t['share_bp']} bp is outside {t['target_bp']} +/- {t['band_bp']} bp",
                }
            )
    for wallet, value in sorted(unassigned.items()):
        out.append(
            {
                "code": UNASSIGNED,
                "category": "policy",
                "subject": wallet,
                "detail": f"{value} sat of wallet {wallet} are in no tier",
            }
        )
    return out


def member(tiers: list[dict], contracts: list[dict], sources: list[dict]) -> dict:
    """The member from the tiers' declarations and the contract entries, over `sources`."""
    figures, basis, complete, unassigned = tier_figures(tiers, sources)
    return {
        "complete": complete,
        "basis_sat": str(basis),
        "tiers": figures,
        "contracts": contracts,
        "findings": band_findings(figures, unassigned) + c_.findings(contracts),
    }


def build(inputs, body: dict) -> None:
    """`tiers` from `inputs.tiers` (None: no tiers declared, the member is null) over the sources."""
    given: TierInputs | None = inputs.tiers
    if given is None or not given.tiers:
        body["tiers"] = None
        return
    sources = inputs.entries.sources
    tiers = sorted((declared_json(t) for t in given.tiers), key=lambda t: t["name"])
    home = {w: t["name"] for t in tiers for w in t["wallets"]}
    contracts = sorted(
        (c_.entry(c, home.get(c.wallet), sources, given.chain) for c in given.contracts), key=lambda e: e["name"]
    )
    body["tiers"] = member(tiers, contracts, sources)


def _declaration_problems(tiers: list[dict]) -> list[str]:
    problems = []
    names = [t["name"] for t in tiers]
    if names != sorted(set(names)):
        problems.append("tiers are not sorted by name or a name repeats")
    if sum(int(t["target_bp"]) for t in tiers) != BP_SCALE:
        problems.append(f"tier targets do not sum to {BP_SCALE} bp")
    wallets = [w for t in tiers for w in t["wallets"]]
    if len(set(wallets)) != len(wallets):
        problems.append("a wallet is in two tiers")
    unlocked = {t["name"] for t in tiers if not t["locked"]}
    for t in tiers:
        if t["locked"] != (t["unlocked_to"] is not None) or (t["locked"] and t["unlocked_to"] not in unlocked):
            problems.append(f"tier {t['name']}: unlocked_to must name a tier that is not locked, exactly when locked")
        if t["wallets"] != sorted(t["wallets"]):
            problems.append(f"tier {t['name']}: wallets are not sorted")
    return problems


def check(doc: dict) -> list[str]:
    """Amounts, basis, shares, in-band flags and findings are what the rule gives from the document."""
    member_ = doc["tiers"]
    if member_ is None:
        return []
    problems = _declaration_problems(member_["tiers"])
    if problems:
        return problems
    expected = member(member_["tiers"], member_["contracts"], doc["reserves"]["sources"])
    for key in ("complete", "basis_sat"):
        if member_[key] != expected[key]:
            problems.append(f"tiers.{key} {member_[key]} but the counted outputs give {expected[key]}")
    for got, want in zip(member_["tiers"], expected["tiers"]):
        for key in ("amount_sat", "share_bp", "in_band"):
            if got[key] != want[key]:
                problems.append(f"tier {got['name']}: {key} {got[key]} but the rule gives {want[key]}")
    if member_["findings"] != expected["findings"]:
        problems.append("tiers.findings are not the findings the tiers and contracts give")
    return problems
