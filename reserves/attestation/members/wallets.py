"""Per-wallet totals of a reserve source and its spendable/locked split (format 2 on): built from its outputs,
checked against them."""

from __future__ import annotations

from collections.abc import Iterable


def split_sat(utxos: Iterable[dict]) -> tuple[int, int]:
    """(spendable, locked) satoshis: an output with a `lock` is locked, any other spendable."""
    spendable = locked = 0
    for u in utxos:
        if u.get("lock") is None:
            spendable += int(u["value_sat"])
        else:
            locked += int(u["value_sat"])
    return spendable, locked


def wallet_totals(utxos: list[dict], names: Iterable[str]) -> list[dict]:
    """Totals per wallet, sorted by name: every name given (zero when it holds nothing) and every
    wallet an output names. `total_sat` = spendable + locked, whatever the count_locked policy."""
    groups: dict[str, list[dict]] = {n: [] for n in names}
    for u in utxos:
        groups.setdefault(u["wallet"], []).append(u)
    out = []
    for name in sorted(groups):
        spendable, locked = split_sat(groups[name])
        out.append(
            {
                "name": name,
                "total_sat": str(spendable + locked),
                "spendable_sat": str(spendable),
                "locked_sat": str(locked),
                "utxo_count": len(groups[name]),
            }
        )
    return out


def check(doc: dict) -> list[str]:
    """Per read source: spendable/locked split and the per-wallet totals are what its utxos give."""
    problems = []
    for s in (s for s in doc["reserves"]["sources"] if "error" not in s):
        spendable, locked = split_sat(s["utxos"])
        if (int(s["spendable_sat"]), int(s["locked_sat"])) != (spendable, locked):
            problems.append(
                f"{s['name']}: spendable/locked {s['spendable_sat']}/{s['locked_sat']} "
                f"but its utxos give {spendable}/{locked}"
            )
        names = [w["name"] for w in s["wallets"]]
        expected = wallet_totals(s["utxos"], names)
        if s["wallets"] != expected:
            wrong = sorted({w["name"] for w in expected} ^ set(names)) or [
                e["name"] for e, w in zip(expected, s["wallets"]) if e != w
            ]
            problems.append(
                f"{s['name']}: wallet totals differ from its utxos (wallets {', '.join(wrong[:5])}; "
                "unique names, sorted, every utxo's wallet listed)"
            )
    return problems
