"""The `reserves` member's sources and reserve-set reference: built from chain readings, checked for sums, duplicates
and their shared tip.

The figures over all sources (total_sat, spendable_sat, locked_sat, utxo_count) are the totals
member's (members/totals.py); each source's outputs and wallets are members/utxos.py's and
members/wallets.py's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chains.base import ReserveReading
from chains.hexes import is_hex64
from reserves.attestation import fields as f
from reserves.attestation.members import utxos as u_
from reserves.attestation.members.wallets import split_sat, wallet_totals
from reserves.errors import InvalidInput


@dataclass(frozen=True)
class ReserveResult:
    """Outcome of reading one reserve source: a `reading`, or an `error_code` (+ `error_detail`).

    `max_age_seconds`: the reading is stale when its block is older than issued_at minus this.
    `wallets`: names of the wallets the source declares, listed in its totals even when empty.
    """

    name: str
    kind: str
    max_age_seconds: int
    reading: ReserveReading | None = None
    error_code: str | None = None
    error_detail: str | None = None
    wallets: tuple[str, ...] = ()

    @classmethod
    def failed(cls, name: str, kind: str, max_age_seconds: int, exc: BaseException) -> ReserveResult:
        """A failed read; uses the error's `code`/`detail`, never str(exc) (it may hold URLs with keys)."""
        code, detail = f.error_parts(exc)
        return cls(name, kind, max_age_seconds, None, code, detail)


@dataclass(frozen=True)
class ReserveSetRef:
    """The reserve-set version an attestation was made with: `version` >= 1 and the sha256 hex of
    its canonical declaration (see reserves/declarations/reserve_set.py)."""

    version: int
    hash: str

    def to_json(self) -> dict:
        if isinstance(self.version, bool) or not isinstance(self.version, int) or not 1 <= self.version <= 2**53 - 1:
            raise InvalidInput("reserve_set version must be an integer >= 1")
        if not is_hex64(self.hash):
            raise InvalidInput("reserve_set hash must be 64 lowercase hex characters")
        return {"version": self.version, "hash": self.hash}


def source_json(name: str, kind: str, max_age_seconds: int, reading, wallet_names: Iterable[str]) -> dict:
    """JSON of one read source; raises InvalidInput for a reading that breaks an invariant."""
    block = f.block_json(reading.block)
    tip, min_conf = block["height"], f.count(reading.min_confirmations, "min_confirmations")
    utxos = sorted((u_.utxo_json(u, name) for u in reading.utxos), key=u_.outpoint)
    u_.check_counted(utxos, tip, min_conf)
    spendable, locked = split_sat(utxos)
    if spendable + locked != reading.total_sat:
        raise InvalidInput(f"total_sat {reading.total_sat} differs from the sum of its utxos {spendable + locked}")
    uncounted = sorted((u_.uncounted_json(u, name, tip, min_conf) for u in reading.uncounted), key=u_.outpoint)
    counted = {u_.outpoint(u) for u in utxos}
    if len({u_.outpoint(u) for u in uncounted}) != len(uncounted) or counted & {u_.outpoint(u) for u in uncounted}:
        raise InvalidInput("an uncounted outpoint is listed twice or also counted")
    duplicates = sorted((u_.duplicate_json(d) for d in reading.duplicates), key=u_.outpoint)
    if len({u_.outpoint(d) for d in duplicates}) != len(duplicates):
        raise InvalidInput("a duplicate outpoint is listed twice")
    names = [f.name(w, "wallet name") for w in wallet_names]
    return {
        "name": name,
        "kind": kind,
        **block,
        "min_confirmations": min_conf,
        "max_age_seconds": f.count(max_age_seconds, "max_age_seconds"),
        "total_sat": str(spendable + locked),
        "spendable_sat": str(spendable),
        "locked_sat": str(locked),
        "utxo_count": len(utxos),
        "utxos": utxos,
        "wallets": wallet_totals(utxos, names),
        "uncounted": uncounted[: u_.MAX_UNCOUNTED],
        "uncounted_count": len(uncounted),
        "duplicates": duplicates[: u_.MAX_DUPLICATES],
        "duplicate_count": len(duplicates),
    }


def source_entry(r: ReserveResult) -> dict:
    """The JSON entry of one reserve source as attestations carry it; a failed read, or a reading
    that breaks an invariant (`invalid_reading`), is an error entry."""
    if r.reading is None:
        return {"name": r.name, "kind": r.kind, "error": f.error_json(r.error_code or "error", r.error_detail)}
    try:
        return source_json(r.name, r.kind, r.max_age_seconds, r.reading, r.wallets)
    except (InvalidInput, AttributeError, TypeError) as exc:
        return {"name": r.name, "kind": r.kind, "error": f.invalid_reading(exc)}


def check_outpoints(sources: list[dict]) -> None:
    """Raise InvalidInput when two sources count one outpoint (the engine deduplicates before building)."""
    outpoints = [(u["txid"], u["vout"]) for s in sources for u in s.get("utxos", ())]
    if len(set(outpoints)) != len(outpoints):
        raise InvalidInput("an outpoint is counted by two reserve sources; deduplicate before building")


def valid_at(sources: list[dict]) -> dict | None:
    """The one tip every read source was read at; None when none was read (or they differ)."""
    tips = {(s["chain_id"], s["height"], s["block_hash"]) for s in sources if "error" not in s}
    if len(tips) != 1:
        return None
    chain_id, height, block_hash = tips.pop()
    return {"chain_id": chain_id, "height": height, "block_hash": block_hash}


def tip_of(body: dict) -> int | None:
    """The Bitcoin height of `reserves.valid_at` (None when the sources share no tip)."""
    at = body["reserves"]["valid_at"]
    return None if at is None else at["height"]


def build(inputs, body: dict) -> None:
    """reserve_set, valid_at and sources (`inputs.reserve_set`, `inputs.entries.sources`), after the totals."""
    sources = inputs.entries.sources
    body.setdefault("reserves", {}).update(
        reserve_set=f.instance(ReserveSetRef, inputs.reserve_set).to_json(), valid_at=valid_at(sources), sources=sources
    )


def check(doc: dict) -> list[str]:
    """Unique source names; each read source's total and count are its utxos'; no outpoint counted twice."""
    problems, seen = [], set()
    sources = doc["reserves"]["sources"]
    if len({s["name"] for s in sources}) != len(sources):
        problems.append("reserve source names repeat")
    for s in (s for s in sources if "error" not in s):
        total = sum(int(u["value_sat"]) for u in s["utxos"])
        if total != int(s["total_sat"]):
            problems.append(f"{s['name']}: total_sat {s['total_sat']} but utxos sum to {total}")
        if s["utxo_count"] != len(s["utxos"]):
            problems.append(f"{s['name']}: utxo_count {s['utxo_count']} but {len(s['utxos'])} utxos listed")
        for u in s["utxos"]:
            outpoint = (u["txid"], u["vout"])
            if outpoint in seen:
                problems.append(f"{s['name']}: outpoint {u['txid']}:{u['vout']} counted twice")
            seen.add(outpoint)
    return problems


def check_valid_at(doc: dict) -> list[str]:
    expected = valid_at(doc["reserves"]["sources"])
    if doc["reserves"]["valid_at"] != expected:
        return [f"reserves.valid_at is not the one tip the read sources share ({expected})"]
    return []
