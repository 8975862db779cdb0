"""Verifier checks that only format 2 has: per-wallet totals, what counts and what does not, locks, duplicates, valid_at."""

from __future__ import annotations

from reserves.attestation import reserve_entries as re_


def _read(doc: dict) -> list[dict]:
    return [s for s in doc["reserves"]["sources"] if "error" not in s]


def wallets(doc: dict) -> list[str]:
    """Per source: spendable/locked split and the per-wallet totals are what its utxos give."""
    problems = []
    for s in _read(doc):
        spendable, locked = re_.split_sat(s["utxos"])
        if (int(s["spendable_sat"]), int(s["locked_sat"])) != (spendable, locked):
            problems.append(f"{s['name']}: spendable/locked {s['spendable_sat']}/{s['locked_sat']} "
                            f"but its utxos give {spendable}/{locked}")
        names = [w["name"] for w in s["wallets"]]
        expected = re_.wallet_totals(s["utxos"], names)
        if s["wallets"] != expected:
            wrong = sorted({w["name"] for w in expected} ^ set(names)) or \
                [e["name"] for e, w in zip(expected, s["wallets"]) if e != w]
            problems.append(f"{s['name']}: wallet totals differ from its utxos (wallets {', '.join(wrong[:5])}; "
                            "unique names, sorted, every utxo's wallet listed)")
    return problems


def _counted_problems(s: dict) -> list[str]:
    problems = []
    for u in s["utxos"]:
        reason = re_.uncounted_reason(u["height"], u["coinbase"], s["height"], s["min_confirmations"])
        if reason is not None:
            problems.append(f"{s['name']}: {u['txid']}:{u['vout']} is counted but {reason} at height {s['height']}")
        lock = re_.lock_problem(u["lock"], s["height"])
        if lock:
            problems.append(f"{s['name']}: {u['txid']}:{u['vout']}: {lock}")
    return problems


def _uncounted_problems(s: dict, counted: dict) -> list[str]:
    problems, seen = [], set()
    if len(s["uncounted"]) != min(s["uncounted_count"], re_.MAX_UNCOUNTED):
        problems.append(f"{s['name']}: uncounted_count {s['uncounted_count']} but {len(s['uncounted'])} listed "
                        f"(all of them, up to {re_.MAX_UNCOUNTED})")
    for u in s["uncounted"]:
        point = re_.outpoint(u)
        reason = re_.uncounted_reason(u["height"], u["coinbase"], s["height"], s["min_confirmations"])
        if reason != u["reason"]:
            problems.append(f"{s['name']}: uncounted {u['txid']}:{u['vout']} says {u['reason']} but the rule gives {reason}")
        if point in seen or point in counted:
            problems.append(f"{s['name']}: uncounted {u['txid']}:{u['vout']} is listed twice or also counted")
        seen.add(point)
    if [re_.outpoint(u) for u in s["uncounted"]] != sorted(seen):
        problems.append(f"{s['name']}: uncounted outputs are not sorted by outpoint")
    return problems


def _duplicate_problems(s: dict, counted: dict) -> list[str]:
    problems = []
    if len(s["duplicates"]) != min(s["duplicate_count"], re_.MAX_DUPLICATES):
        problems.append(f"{s['name']}: duplicate_count {s['duplicate_count']} but {len(s['duplicates'])} listed")
    points = [re_.outpoint(d) for d in s["duplicates"]]
    if points != sorted(set(points)):
        problems.append(f"{s['name']}: duplicates repeat or are not sorted by outpoint")
    for d in s["duplicates"]:
        if len(set(d["wallets"])) != len(d["wallets"]):
            problems.append(f"{s['name']}: duplicate {d['txid']}:{d['vout']} names a wallet twice")
        holder = counted.get(re_.outpoint(d))
        if holder is not None and holder != d["wallets"][0]:
            problems.append(f"{s['name']}: duplicate {d['txid']}:{d['vout']} is counted under {holder}, "
                            f"not its first wallet {d['wallets'][0]}")
    return problems


def counting(doc: dict) -> list[str]:
    """Counted outputs are deep enough and not yet unlocked by height; uncounted ones carry the
    reason the rule gives and are counted nowhere; duplicates are counted once, by their first wallet."""
    sources = _read(doc)
    counted = {re_.outpoint(u): u["wallet"] for s in sources for u in s["utxos"]}
    problems = []
    for s in sources:
        problems += _counted_problems(s)
        problems += _uncounted_problems(s, counted)
        problems += _duplicate_problems(s, counted)
    return problems


def valid_at(doc: dict) -> list[str]:
    expected = re_.valid_at(doc["reserves"]["sources"])
    if doc["reserves"]["valid_at"] != expected:
        return [f"reserves.valid_at is not the one tip the read sources share ({expected})"]
    return []
