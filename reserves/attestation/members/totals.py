"""The totals members (reserves.total_sat, spendable_sat, locked_sat, utxo_count, supply.total_sat, ratio_bp):
derived from primary data, built, checked."""

from __future__ import annotations

from dataclasses import dataclass

from reserves.attestation import arithmetic as ar
from reserves.attestation.members.supply import supply_sat_total
from reserves.attestation.members.wallets import split_sat

SPLIT_RULE = " (spendable, plus locked when policy.count_locked)"


@dataclass(frozen=True)
class Totals:
    """Reserve and supply figures of schema-valid entries, from primary data (satoshis).

    `reserves_sat` = spendable + (locked when the policy counts locked outputs); `utxo_count`
    counts every counted output, locked or not; `ratio_bp` is None when an entry failed or supply is 0.
    """

    reserves_sat: int
    spendable_sat: int
    locked_sat: int
    utxo_count: int
    supply_sat: int
    ratio_bp: int | None


def derive_totals(sources: list[dict], deployments: list[dict], count_locked: bool = True) -> Totals:
    """The totals of schema-valid entries, recomputed from primary data.

    From each utxo's value and lock and each deployment's total_supply, decimals and held balances
    (format 3: native minus held, a bridge max(minted, locked); see members/supply.py) rather than
    the entries' own totals, so a wrong per-entry total is reported once, where it is. Failed
    entries count nothing. Format 1 utxos have no `lock`: all spendable.
    """
    read_sources = [s for s in sources if "error" not in s]
    read_deps = [d for d in deployments if "error" not in d]
    spendable, locked = split_sat(u for s in read_sources for u in s["utxos"])
    reserves_total = spendable + (locked if count_locked else 0)
    utxo_count = sum(len(s["utxos"]) for s in read_sources)
    supply_total = supply_sat_total(deployments)
    any_failed = len(read_sources) != len(sources) or len(read_deps) != len(deployments)
    ratio = None if any_failed else ar.ratio_bp(reserves_total, supply_total)
    return Totals(reserves_total, spendable, locked, utxo_count, supply_total, ratio)


def build(inputs, body: dict) -> None:
    """ratio_bp and the reserve and supply totals of `inputs.entries` under `inputs.policy`."""
    entries = inputs.entries
    t = derive_totals(entries.sources, entries.deployments, inputs.policy.count_locked)
    body["ratio_bp"] = None if t.ratio_bp is None else str(t.ratio_bp)
    body.setdefault("reserves", {}).update(
        total_sat=str(t.reserves_sat),
        spendable_sat=str(t.spendable_sat),
        locked_sat=str(t.locked_sat),
        utxo_count=t.utxo_count,
    )
    body.setdefault("supply", {}).update(total_sat=str(t.supply_sat))


def of(doc: dict) -> Totals:
    """The totals a schema-valid document's entries give."""
    # A schema-valid count_locked is a bool; the policy check reports a bad threshold separately.
    count_locked = doc["policy"].get("count_locked", True)
    return derive_totals(doc["reserves"]["sources"], doc["supply"]["deployments"], count_locked)


def _problems(doc: dict, split: bool) -> list[str]:
    t = of(doc)
    res = doc["reserves"]
    problems = []
    if int(res["total_sat"]) != t.reserves_sat:
        rule = SPLIT_RULE if split else ""
        problems.append(
            f"reserves.total_sat {res['total_sat']} but the utxos of read sources give {t.reserves_sat}{rule}"
        )
    if split:
        for key, value in (("spendable_sat", t.spendable_sat), ("locked_sat", t.locked_sat)):
            if int(res[key]) != value:
                problems.append(f"reserves.{key} {res[key]} but the utxos of read sources give {value}")
    if res["utxo_count"] != t.utxo_count:
        problems.append(f"reserves.utxo_count {res['utxo_count']} but read sources list {t.utxo_count}")
    if int(doc["supply"]["total_sat"]) != t.supply_sat:
        problems.append(
            f"supply.total_sat {doc['supply']['total_sat']} but read deployments round up to {t.supply_sat}"
        )
    return problems


def check(doc: dict) -> list[str]:
    """Format 2 on: the reserve totals, split into spendable and locked, and the supply total."""
    return _problems(doc, split=True)


def check_unsplit(doc: dict) -> list[str]:
    """Format 1: no locks, so no spendable/locked split."""
    return _problems(doc, split=False)


def check_ratio(doc: dict) -> list[str]:
    expected = of(doc).ratio_bp
    claimed = doc["ratio_bp"]
    if (None if claimed is None else int(claimed)) != expected:
        return [f"ratio_bp {claimed} but the rule gives {expected} (floor; null if a source failed or supply is 0)"]
    return []
