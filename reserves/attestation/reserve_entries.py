"""Format 2 reserve sources: outputs with wallet, lock and coinbase flag, per-wallet totals, uncounted outputs, duplicates.

The rules at the top work on the JSON of a body: the builder applies them before publishing and
the verifier re-derives every figure with them, so the two can never disagree.
"""

from __future__ import annotations

from typing import Iterable

from chains.base import COINBASE_MATURITY
from reserves.attestation import fields as f
from reserves.errors import InvalidInput

MAX_UNCOUNTED = 1000   # listed per source; `uncounted_count` says how many there were
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
        out.append({"name": name, "total_sat": str(spendable + locked), "spendable_sat": str(spendable),
                    "locked_sat": str(locked), "utxo_count": len(groups[name])})
    return out


def valid_at(sources: list[dict]) -> dict | None:
    """The one tip every read source was read at; None when none was read (or they differ)."""
    tips = {(s["chain_id"], s["height"], s["block_hash"]) for s in sources if "error" not in s}
    if len(tips) != 1:
        return None
    chain_id, height, block_hash = tips.pop()
    return {"chain_id": chain_id, "height": height, "block_hash": block_hash}


def outpoint(entry: dict) -> tuple[str, int]:
    return entry["txid"], entry["vout"]


# ---- building, from chains.base values ----

def _lock_json(lock) -> dict | None:
    if lock is None:
        return None
    if lock.kind not in LOCK_KINDS:
        raise InvalidInput("lock kind must be 'height' or 'time'")
    return {"kind": lock.kind, "until": f.count(lock.until, "lock until"),
            "relative": f.flag(lock.relative, "lock relative")}


def _wallet(u, source: str) -> str:
    # Outputs not declared through a named wallet (flat address lists) belong to a wallet named
    # after their source, the name the flat form of the configuration gives them.
    return f.name(u.wallet or source, "utxo wallet")


def _utxo_json(u, source: str) -> dict:
    return {"txid": f.txid(u.txid), "vout": f.vout(u.vout), "value_sat": f.amount(u.value_sat, "value_sat"),
            "height": f.count(u.height, "utxo height"), "address": f.address(u.address),
            "wallet": _wallet(u, source), "coinbase": f.flag(u.coinbase, "coinbase"), "lock": _lock_json(u.lock)}


def _uncounted_json(u, source: str, tip: int, min_conf: int) -> dict:
    height = None if u.height is None else f.count(u.height, "utxo height")
    coinbase = f.flag(u.coinbase, "coinbase")
    reason = uncounted_reason(height, coinbase, tip, min_conf)
    if reason is None:
        raise InvalidInput(f"output {u.txid}:{u.vout} is listed as uncounted but counts at the tip")
    return {"txid": f.txid(u.txid), "vout": f.vout(u.vout), "value_sat": f.amount(u.value_sat, "value_sat"),
            "address": f.address(u.address), "wallet": _wallet(u, source), "height": height,
            "coinbase": coinbase, "reason": reason}


def _duplicate_json(d) -> dict:
    wallets = [f.name(w, "duplicate wallet") for w in tuple(d.wallets)[:MAX_DUPLICATE_WALLETS]]
    if len(set(wallets)) != len(wallets) or len(wallets) < 2:
        raise InvalidInput("a duplicate names at least two distinct wallets")
    return {"txid": f.txid(d.txid), "vout": f.vout(d.vout), "wallets": wallets}


def _check_counted(utxos: list[dict], tip: int, min_conf: int) -> None:
    for u in utxos:
        reason = uncounted_reason(u["height"], u["coinbase"], tip, min_conf)
        if reason is not None:
            raise InvalidInput(f"output {u['txid']}:{u['vout']} is counted but {reason} at the tip")
        problem = lock_problem(u["lock"], tip)
        if problem:
            raise InvalidInput(f"output {u['txid']}:{u['vout']}: {problem}")
    if len({outpoint(u) for u in utxos}) != len(utxos):
        raise InvalidInput("the same outpoint is listed twice")


def source_json(name: str, kind: str, max_age_seconds: int, reading, wallet_names: Iterable[str]) -> dict:
    """JSON of one read source; raises InvalidInput for a reading that breaks an invariant."""
    block = f.block_json(reading.block)
    tip, min_conf = block["height"], f.count(reading.min_confirmations, "min_confirmations")
    utxos = sorted((_utxo_json(u, name) for u in reading.utxos), key=outpoint)
    _check_counted(utxos, tip, min_conf)
    spendable, locked = split_sat(utxos)
    if spendable + locked != reading.total_sat:
        raise InvalidInput(f"total_sat {reading.total_sat} differs from the sum of its utxos {spendable + locked}")
    uncounted = sorted((_uncounted_json(u, name, tip, min_conf) for u in reading.uncounted), key=outpoint)
    counted = {outpoint(u) for u in utxos}
    if len({outpoint(u) for u in uncounted}) != len(uncounted) or counted & {outpoint(u) for u in uncounted}:
        raise InvalidInput("an uncounted outpoint is listed twice or also counted")
    duplicates = sorted((_duplicate_json(d) for d in reading.duplicates), key=outpoint)
    if len({outpoint(d) for d in duplicates}) != len(duplicates):
        raise InvalidInput("a duplicate outpoint is listed twice")
    names = [f.name(w, "wallet name") for w in wallet_names]
    return {
        "name": name, "kind": kind, **block, "min_confirmations": min_conf,
        "max_age_seconds": f.count(max_age_seconds, "max_age_seconds"),
        "total_sat": str(spendable + locked), "spendable_sat": str(spendable), "locked_sat": str(locked),
        "utxo_count": len(utxos), "utxos": utxos, "wallets": wallet_totals(utxos, names),
        "uncounted": uncounted[:MAX_UNCOUNTED], "uncounted_count": len(uncounted),
        "duplicates": duplicates[:MAX_DUPLICATES], "duplicate_count": len(duplicates),
    }
