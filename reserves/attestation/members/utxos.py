"""A reserve source's outputs (format 2 on: wallet, lock, coinbase flag; uncounted ones; duplicates) and the rule
that counts them.

The rule works on the JSON of a body: the builder applies it before publishing and the
`counting` check re-derives every verdict with it, so the two can never disagree.
"""

from __future__ import annotations

from chains.base import COINBASE_MATURITY
from reserves.attestation import fields as f
from reserves.errors import InvalidInput

MAX_UNCOUNTED = 1000  # listed per source; `uncounted_count` says how many there were
MAX_DUPLICATES = 1000  # likewise, with `duplicate_count`
MAX_DUPLICATE_WALLETS = 100
LOCK_KINDS = ("height", "time")


def confirmations(height: int | None, tip: int) -> int:
    """Confirmations at `tip` of an output mined at `height` (its own block counts as 1); 0 if unmined."""
    if height is None or height > tip:
        return 0
    return tip - height + 1


def uncounted_reason(height: int | None, coinbase: bool, tip: int, min_confirmations: int) -> str | None:
    """chains.base.Utxo.uncounted_reason, from the heights a document states."""
    conf = confirmations(height, tip)
    if conf <= 0:
        return "unconfirmed"
    if coinbase and conf < COINBASE_MATURITY:
        return "immature_coinbase"
    if conf < min_confirmations:
        return "shallow"
    return None


def lock_problem(lock: dict | None, tip: int) -> str | None:
    """Why a stated lock cannot hold at `tip`: a height lock is locked only while `until` > tip.

    Time locks compare with median time past, which a document does not carry; only their shape
    is checked (by the schema).
    """
    if lock is not None and lock["kind"] == "height" and lock["until"] <= tip:
        return f"a height lock until {lock['until']} is already open at tip {tip}"
    return None


def outpoint(entry: dict) -> tuple[str, int]:
    return entry["txid"], entry["vout"]


# ---- building, from chains.base values ----


def _lock_json(lock) -> dict | None:
    if lock is None:
        return None
    if lock.kind not in LOCK_KINDS:
        raise InvalidInput("lock kind must be 'height' or 'time'")
    return {
        "kind": lock.kind,
        "until": f.count(lock.until, "lock until"),
        "relative": f.flag(lock.relative, "lock relative"),
    }


def _wallet(u, source: str) -> str:
    # Outputs not declared through a named wallet (flat address lists) belong to a wallet named
    # after their source, the name the flat form of the configuration gives them.
    return f.name(u.wallet or source, "utxo wallet")


def utxo_json(u, source: str) -> dict:
    """A counted output (chains.base.Utxo) of source `source`."""
    return {
        "txid": f.txid(u.txid),
        "vout": f.vout(u.vout),
        "value_sat": f.amount(u.value_sat, "value_sat"),
        "height": f.count(u.height, "utxo height"),
        "address": f.address(u.address),
        "wallet": _wallet(u, source),
        "coinbase": f.flag(u.coinbase, "coinbase"),
        "lock": _lock_json(u.lock),
    }


def uncounted_json(u, source: str, tip: int, min_conf: int) -> dict:
    """An output the source holds but does not count, with the reason the rule gives at `tip`."""
    height = None if u.height is None else f.count(u.height, "utxo height")
    coinbase = f.flag(u.coinbase, "coinbase")
    reason = uncounted_reason(height, coinbase, tip, min_conf)
    if reason is None:
        raise InvalidInput(f"output {u.txid}:{u.vout} is listed as uncounted but counts at the tip")
    return {
        "txid": f.txid(u.txid),
        "vout": f.vout(u.vout),
        "value_sat": f.amount(u.value_sat, "value_sat"),
        "address": f.address(u.address),
        "wallet": _wallet(u, source),
        "height": height,
        "coinbase": coinbase,
        "reason": reason,
    }


def duplicate_json(d) -> dict:
    """An outpoint several wallets declare (chains.base.DuplicateOutpoint); the first one counts it."""
    wallets = [f.name(w, "duplicate wallet") for w in tuple(d.wallets)[:MAX_DUPLICATE_WALLETS]]
    if len(set(wallets)) != len(wallets) or len(wallets) < 2:
        raise InvalidInput("a duplicate names at least two distinct wallets")
    return {"txid": f.txid(d.txid), "vout": f.vout(d.vout), "wallets": wallets}


def check_counted(utxos: list[dict], tip: int, min_conf: int) -> None:
    """Raise InvalidInput when a counted output does not count at `tip` or is listed twice."""
    for u in utxos:
        reason = uncounted_reason(u["height"], u["coinbase"], tip, min_conf)
        if reason is not None:
            raise InvalidInput(f"output {u['txid']}:{u['vout']} is counted but {reason} at the tip")
        problem = lock_problem(u["lock"], tip)
        if problem:
            raise InvalidInput(f"output {u['txid']}:{u['vout']}: {problem}")
    if len({outpoint(u) for u in utxos}) != len(utxos):
        raise InvalidInput("the same outpoint is listed twice")


# ---- checking ----


def _counted_problems(s: dict) -> list[str]:
    problems = []
    for u in s["utxos"]:
        reason = uncounted_reason(u["height"], u["coinbase"], s["height"], s["min_confirmations"])
        if reason is not None:
            problems.append(f"{s['name']}: {u['txid']}:{u['vout']} is counted but {reason} at height {s['height']}")
        lock = lock_problem(u["lock"], s["height"])
        if lock:
            problems.append(f"{s['name']}: {u['txid']}:{u['vout']}: {lock}")
    return problems


def _uncounted_problems(s: dict, counted: dict) -> list[str]:
    problems, seen = [], set()
    if len(s["uncounted"]) != min(s["uncounted_count"], MAX_UNCOUNTED):
        problems.append(
            f"{s['name']}: uncounted_count {s['uncounted_count']} but {len(s['uncounted'])} listed "
            f"(all of them, up to {MAX_UNCOUNTED})"
        )
    for u in s["uncounted"]:
        point = outpoint(u)
        reason = uncounted_reason(u["height"], u["coinbase"], s["height"], s["min_confirmations"])
        if reason != u["reason"]:
            problems.append(
                f"{s['name']}: uncounted {u['txid']}:{u['vout']} says {u['reason']} but the rule gives {reason}"
            )
        if point in seen or point in counted:
            problems.append(f"{s['name']}: uncounted {u['txid']}:{u['vout']} is listed twice or also counted")
        seen.add(point)
    if [outpoint(u) for u in s["uncounted"]] != sorted(seen):
        problems.append(f"{s['name']}: uncounted outputs are not sorted by outpoint")
    return problems


def _duplicate_problems(s: dict, counted: dict) -> list[str]:
    problems = []
    if len(s["duplicates"]) != min(s["duplicate_count"], MAX_DUPLICATES):
        problems.append(f"{s['name']}: duplicate_count {s['duplicate_count']} but {len(s['duplicates'])} listed")
    points = [outpoint(d) for d in s["duplicates"]]
    if points != sorted(set(points)):
        problems.append(f"{s['name']}: duplicates repeat or are not sorted by outpoint")
    for d in s["duplicates"]:
        if len(set(d["wallets"])) != len(d["wallets"]):
            problems.append(f"{s['name']}: duplicate {d['txid']}:{d['vout']} names a wallet twice")
        holder = counted.get(outpoint(d))
        if holder is not None and holder != d["wallets"][0]:
            problems.append(
                f"{s['name']}: duplicate {d['txid']}:{d['vout']} is counted under {holder}, "
                f"not its first wallet {d['wallets'][0]}"
            )
    return problems


def counting(doc: dict) -> list[str]:
    """Counted outputs are deep enough and not yet unlocked by height; uncounted ones carry the
    reason the rule gives and are counted nowhere; duplicates are counted once, by their first wallet."""
    sources = [s for s in doc["reserves"]["sources"] if "error" not in s]
    counted = {outpoint(u): u["wallet"] for s in sources for u in s["utxos"]}
    problems = []
    for s in sources:
        problems += _counted_problems(s)
        problems += _uncounted_problems(s, counted)
        problems += _duplicate_problems(s, counted)
    return problems
