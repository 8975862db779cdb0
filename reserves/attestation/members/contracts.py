"""The registry of locked contracts inside the `tiers` member (format 5): each declared contract checked against the
reading (and, for outpoints the reading does not list, one chain look-up), with its status and named findings.

Status: `active` (counted, still time-locked at the tip), `expired` (counted, its lock open: it
counts in its tier's `unlocked_to`), `spent` (the chain says the outpoint is spent), `pending`
(not counted: unconfirmed or shallow, or not found). Findings (codes): `contract_missing` (no
such output), `contract_unread` (its source failed or the look-up did), `script_mismatch` (the
output does not pay the address the declared script derives, or is not a reserve output),
`amount_mismatch`, `lock_mismatch` (the script's time locks are not exactly the declared
`after(n)`, or the output's lock is not the one it gives), `expired`, `spent`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from chains.bitcoin.wallets import WalletSpec
from chains.errors import ChainConfigError
from reserves.errors import InvalidInput

OBSERVED = ("counted", "uncounted", "spent", "elsewhere", "missing", "unread")
CHAIN_ONLY = ("spent", "elsewhere", "missing", "unread")  # the document cannot show these: a chain check
STATUSES = ("pending", "active", "expired", "spent")
FINDINGS = (
    "contract_missing",
    "contract_unread",
    "script_mismatch",
    "amount_mismatch",
    "lock_mismatch",
    "expired",
    "spent",
)


@dataclass(frozen=True)
class ContractDecl:
    """A declared contract (reserves.settings.tiers.ContractSettings plus its wallet's network)."""

    name: str
    txid: str
    vout: int
    wallet: str
    network: str
    descriptor: str
    index: int
    amount_sat: int
    unlock_kind: str
    unlock_at: int


@dataclass(frozen=True)
class ChainOutpoint:
    """What the chain says of an outpoint the reading does not list: `spent`, `unspent` (then
    `value_sat`), `missing` (no such output) or `unread` (the look-up failed)."""

    state: str
    value_sat: int | None = None


@dataclass(frozen=True)
class Script:
    """What a contract's descriptor gives at its child index: the address, sha256 hex of the
    scriptPubKey, and the time-lock fragments of the script (e.g. ("after(800000)",))."""

    address: str
    script_hash: str
    locks: tuple[str, ...]


@lru_cache(maxsize=4096)
def script_of(descriptor: str, network: str, index: int) -> Script:
    """The Script of `descriptor` (checksum optional) on `network` at child `index`; InvalidInput if it
    does not parse or expand."""
    try:
        spec = WalletSpec(name="contract", network=network, descriptor=descriptor)
        parsed = spec.parsed
        if parsed is None:
            raise InvalidInput("contract descriptor: none given")
        spk = parsed.script_pubkey(index)
        return Script(spec.address(index), hashlib.sha256(spk).hexdigest(), spec.policy().timelocks)
    except ChainConfigError as exc:
        raise InvalidInput(f"contract descriptor: {exc.detail}") from exc
    except InvalidInput:
        raise
    except Exception as exc:  # embit raises several types on descriptors it cannot expand
        raise InvalidInput(f"contract descriptor cannot be expanded ({type(exc).__name__})") from exc


def expected_lock(kind: str, at: int) -> dict:
    """The `lock` an output of `after(at)` shows while closed: spendable from height (or time) at + 1."""
    return {"kind": kind, "until": at + 1, "relative": False}


def _listed(sources: list[dict], txid: str, vout: int) -> tuple[str, dict] | None:
    for s in sources:
        if "error" in s:
            continue
        for key, observed in (("utxos", "counted"), ("uncounted", "uncounted")):
            for u in s[key]:
                if u["txid"] == txid and u["vout"] == vout:
                    return observed, u
    return None


def observation(sources: list[dict], txid: str, vout: int, chain: ChainOutpoint | None) -> tuple[str, dict | None]:
    """(observed, the listed output or None): the document first, then the chain's answer."""
    listed = _listed(sources, txid, vout)
    if listed is not None:
        return listed
    state = "unread" if chain is None else chain.state
    return ("elsewhere" if state == "unspent" else state), None


def judge(entry: dict, script: Script) -> tuple[str, list[str]]:
    """(status, finding codes) of a contract entry whose `observed`, `value_sat` and `lock` are set."""
    observed, findings = entry["observed"], []
    declared = f"after({entry['unlock']['at']})"
    if script.locks != (declared,):
        findings.append("lock_mismatch")
    if observed in ("counted", "uncounted") and entry["address"] != entry["seen_address"]:
        findings.append("script_mismatch")
    if observed == "elsewhere":
        findings.append("script_mismatch")
    if entry["value_sat"] is not None and entry["value_sat"] != entry["amount_sat"]:
        findings.append("amount_mismatch")
    if observed == "counted":
        lock = entry["lock"]
        closed_elsewhere = lock is not None and lock != expected_lock(entry["unlock"]["kind"], entry["unlock"]["at"])
        if closed_elsewhere and "lock_mismatch" not in findings:
            findings.append("lock_mismatch")
        status = "active" if lock is not None else "expired"
    else:
        status = "spent" if observed == "spent" else "pending"
    if observed == "missing":
        findings.append("contract_missing")
    if observed == "unread":
        findings.append("contract_unread")
    if status in ("expired", "spent"):
        findings.append(status)
    return status, [f for f in FINDINGS if f in findings]


def entry(c, tier: str | None, sources: list[dict], chain: dict) -> dict:
    """The entry of declared contract `c` (a ContractDecl) held by a wallet of `tier`."""
    script = script_of(c.descriptor, c.network, c.index)
    answer = chain.get((c.txid, c.vout))
    observed, seen = observation(sources, c.txid, c.vout, answer)
    value = int(seen["value_sat"]) if seen is not None else None if answer is None else answer.value_sat
    out = {
        "name": c.name,
        "txid": c.txid,
        "vout": c.vout,
        "wallet": c.wallet,
        "tier": tier,
        "network": c.network,
        "descriptor": c.descriptor,
        "index": c.index,
        "address": script.address,
        "script_hash": script.script_hash,
        "script_locks": list(script.locks),
        "amount_sat": str(c.amount_sat),
        "unlock": {"kind": c.unlock_kind, "at": c.unlock_at},
        "observed": observed,
        "seen_address": None if seen is None else seen["address"],
        "value_sat": None if value is None else str(value),
        "lock": seen["lock"] if observed == "counted" and seen is not None else None,
    }
    out["status"], out["findings"] = judge(out, script)
    return out


def findings(contracts: list[dict]) -> list[dict]:
    """The member-level findings of the contract entries, in their order."""
    return [
        {"code": code, "category": "contract", "subject": e["name"], "detail": f"contract {e['name']}: {code}"}
        for e in contracts
        for code in e["findings"]
    ]


def _entry_problems(e: dict, sources: list[dict], home: dict[str, str]) -> list[str]:
    where = f"contract {e['name']}"
    try:
        script = script_of(e["descriptor"], e["network"], e["index"])
    except InvalidInput as exc:
        return [f"{where}: {exc.detail}"]
    problems = []
    for key, want in (("address", script.address), ("script_hash", script.script_hash)):
        if e[key] != want:
            problems.append(f"{where}: {key} {e[key]} but the descriptor gives {want}")
    if tuple(e["script_locks"]) != script.locks:
        problems.append(f"{where}: script_locks {e['script_locks']} but the descriptor has {list(script.locks)}")
    if e["tier"] != home.get(e["wallet"]):
        problems.append(f"{where}: tier {e['tier']} but wallet {e['wallet']} is in {home.get(e['wallet'])}")
    listed = _listed(sources, e["txid"], e["vout"])
    if listed is None and e["observed"] not in CHAIN_ONLY:
        problems.append(f"{where}: observed {e['observed']} but the outpoint is not listed")
    if listed is not None:
        observed, u = listed
        seen = {"observed": observed, "seen_address": u["address"], "value_sat": u["value_sat"]}
        seen["lock"] = u["lock"] if observed == "counted" else None
        for key, want in seen.items():
            if e[key] != want:
                problems.append(f"{where}: {key} {e[key]} but the listed output gives {want}")
    status, codes = judge(e, script)
    if (e["status"], e["findings"]) != (status, codes):
        problems.append(f"{where}: status {e['status']} {e['findings']} but the rule gives {status} {codes}")
    return problems


def check(doc: dict) -> list[str]:
    """Each contract's script figures, tier, observation and status follow from its declaration and the
    document (what only the chain shows, `spent`/`elsewhere`/`missing`/`unread`, is a chain check)."""
    member = doc["tiers"]
    if member is None:
        return []
    home = {w: t["name"] for t in member["tiers"] for w in t["wallets"]}
    problems = []
    names = [e["name"] for e in member["contracts"]]
    if names != sorted(set(names)):
        problems.append("contracts are not sorted by name or a name repeats")
    outpoints = [(e["txid"], e["vout"]) for e in member["contracts"]]
    if len(set(outpoints)) != len(outpoints):
        problems.append("two contracts declare one outpoint")
    for e in member["contracts"]:
        problems += _entry_problems(e, doc["reserves"]["sources"], home)
    return problems
