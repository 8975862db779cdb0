"""Settings of the reserve tiers (`[[tiers]]`) and the registry of locked contracts (`[[contracts]]`).

Parsed by reserves.settings.load (and from the devnet's manifest); checked against the declared
reserve wallets by `check_against_wallets` once those are known. Every error is a ConfigError
naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chains.bitcoin.descriptors import parse_descriptor
from chains.errors import ChainConfigError
from chains.hexes import is_hex64
from reserves.errors import ConfigError
from reserves.settings.values import bool_, int_, no_unknown

BP_SCALE = 10_000
MAX_TIERS = 16
MAX_CONTRACTS = 1000
NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# nLockTime / after(n): below this a block height, from it on Unix time (BIP-65).
LOCKTIME_THRESHOLD = 500_000_000
MAX_LOCK = 2**31 - 1  # after(n) takes 1 <= n < 2**31
_TIER_KEYS = {"name", "target_bp", "band_bp", "wallets", "locked", "unlocked_to"}
_CONTRACT_KEYS = {"name", "outpoint", "wallet", "descriptor", "index", "amount_sat", "unlock_height", "unlock_time"}


@dataclass(frozen=True)
class TierSettings:
    """One tier: its share target and tolerance band (basis points of the tiered reserves), its
    wallets; a `locked` tier counts only its wallets' outputs still time-locked at the tip, the
    others (expired locks) in `unlocked_to`, a tier that is not locked."""

    name: str
    target_bp: int
    band_bp: int
    wallets: tuple[str, ...]
    locked: bool = False
    unlocked_to: str | None = None


@dataclass(frozen=True)
class ContractSettings:
    """A locked contract: its funding outpoint, the reserve wallet that holds it, its script (a
    descriptor, child `index` when ranged), the amount funded (satoshis) and its declared unlock:
    `after(unlock_at)`, a block height (`unlock_kind` "height") or a Unix time ("time")."""

    name: str
    txid: str
    vout: int
    wallet: str
    descriptor: str
    index: int
    amount_sat: int
    unlock_kind: str
    unlock_at: int


@dataclass(frozen=True)
class TiersSettings:
    """The declared tiers (empty: none, the attestation's `tiers` member is null) and contracts."""

    tiers: tuple[TierSettings, ...] = ()
    contracts: tuple[ContractSettings, ...] = ()

    @property
    def declared(self) -> bool:
        return bool(self.tiers)

    def tier_of(self, wallet: str) -> str | None:
        return next((t.name for t in self.tiers if wallet in t.wallets), None)


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise ConfigError(f"{where}: must be 1-64 characters of A-Z a-z 0-9 . _ -")
    return value


def _array(data: dict[str, Any], key: str, limit: int) -> list[dict[str, Any]]:
    entries = data.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{key}: must be an array of tables ([[{key}]])")
    if len(entries) > limit:
        raise ConfigError(f"{key}: at most {limit} entries")
    return entries


def _tier(t: dict[str, Any], where: str) -> TierSettings:
    no_unknown(f"{where}.", t, _TIER_KEYS)
    wallets = t.get("wallets")
    if not isinstance(wallets, list) or not wallets:
        raise ConfigError(f"{where}.wallets: must be a non-empty list of wallet names")
    names = tuple(_name(w, f"{where}.wallets[{i}]") for i, w in enumerate(wallets))
    locked = bool_(t, "locked", f"{where}.locked", False)
    unlocked_to = t.get("unlocked_to")
    if locked != (unlocked_to is not None):
        raise ConfigError(f"{where}.unlocked_to: required exactly for a locked tier (where its expired outputs go)")
    return TierSettings(
        name=_name(t.get("name"), f"{where}.name"),
        target_bp=int_(t, "target_bp", f"{where}.target_bp", -1, lo=0, hi=BP_SCALE),
        band_bp=int_(t, "band_bp", f"{where}.band_bp", -1, lo=0, hi=BP_SCALE),
        wallets=names,
        locked=locked,
        unlocked_to=None if unlocked_to is None else _name(unlocked_to, f"{where}.unlocked_to"),
    )


def _outpoint(value: Any, where: str) -> tuple[str, int]:
    txid, sep, vout = value.partition(":") if isinstance(value, str) else ("", "", "")
    if not sep or not is_hex64(txid) or not vout.isdigit() or len(vout) > 10 or int(vout) > 0xFFFFFFFF:
        raise ConfigError(f"{where}: must be '<txid>:<vout>' (64 lowercase hex, then the output index)")
    return txid, int(vout)


def _contract(c: dict[str, Any], where: str) -> ContractSettings:
    no_unknown(f"{where}.", c, _CONTRACT_KEYS)
    txid, vout = _outpoint(c.get("outpoint"), f"{where}.outpoint")
    descriptor = c.get("descriptor")
    if not isinstance(descriptor, str) or not descriptor.strip() or len(descriptor) > 8192:
        raise ConfigError(f"{where}.descriptor: must be a descriptor of at most 8192 characters")
    if ("unlock_height" in c) == ("unlock_time" in c):
        raise ConfigError(f"{where}.unlock_height: declare exactly one of unlock_height or unlock_time")
    if "unlock_height" in c:
        kind, at = "height", int_(c, "unlock_height", f"{where}.unlock_height", 0, lo=1, hi=LOCKTIME_THRESHOLD - 1)
    else:
        kind, at = "time", int_(c, "unlock_time", f"{where}.unlock_time", 0, lo=LOCKTIME_THRESHOLD, hi=MAX_LOCK)
    return ContractSettings(
        name=_name(c.get("name"), f"{where}.name"),
        txid=txid,
        vout=vout,
        wallet=_name(c.get("wallet"), f"{where}.wallet"),
        descriptor=descriptor.strip(),
        index=int_(c, "index", f"{where}.index", 0, lo=0, hi=2**31 - 1),
        amount_sat=int_(c, "amount_sat", f"{where}.amount_sat", 0, lo=1, hi=21_000_000 * 10**8),
        unlock_kind=kind,
        unlock_at=at,
    )


def _unique(names: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ConfigError(f"{what}: {name!r} declared twice")
        seen.add(name)


def parse_tiers(data: dict[str, Any]) -> TiersSettings:
    """`[[tiers]]` and `[[contracts]]` of a config (or manifest) mapping, checked on their own:
    names unique, targets summing to 10000 bp, each wallet in at most one tier, each locked
    tier's `unlocked_to` an unlocked tier, contracts only with tiers and outpoints unique."""
    tiers = tuple(_tier(t, f"tiers[{i}]") for i, t in enumerate(_array(data, "tiers", MAX_TIERS)))
    contracts = tuple(_contract(c, f"contracts[{i}]") for i, c in enumerate(_array(data, "contracts", MAX_CONTRACTS)))
    _unique((t.name for t in tiers), "tiers.name")
    _unique((w for t in tiers for w in t.wallets), "tiers.wallets: wallet")
    if tiers and sum(t.target_bp for t in tiers) != BP_SCALE:
        raise ConfigError(f"tiers.target_bp: the targets sum to {sum(t.target_bp for t in tiers)}, not {BP_SCALE}")
    unlocked = {t.name for t in tiers if not t.locked}
    for i, t in enumerate(tiers):
        if t.locked and t.unlocked_to not in unlocked:
            raise ConfigError(f"tiers[{i}].unlocked_to: {t.unlocked_to!r} is not a declared tier that is not locked")
    if contracts and not tiers:
        raise ConfigError("contracts: declare [[tiers]] first (a contract belongs to a locked tier)")
    _unique((c.name for c in contracts), "contracts.name")
    _unique((f"{c.txid}:{c.vout}" for c in contracts), "contracts.outpoint")
    return TiersSettings(tiers, contracts)


def check_against_wallets(tiers: TiersSettings, wallets: dict[str, str]) -> None:
    """ConfigError unless every declared wallet (name -> network) is in exactly one tier, every
    tier's wallet is declared, and each contract's wallet is in a locked tier and its descriptor
    parses for that wallet's network. Nothing to check without tiers."""
    if not tiers.declared:
        return
    assigned = {w: t.name for t in tiers.tiers for w in t.wallets}
    unknown = sorted(set(assigned) - set(wallets))
    if unknown:
        raise ConfigError(f"tiers.wallets: {unknown[0]!r} is not a declared reserve wallet")
    missing = sorted(set(wallets) - set(assigned))
    if missing:
        raise ConfigError(f"tiers.wallets: reserve wallet {missing[0]!r} is in no tier (each must be in exactly one)")
    locked = {t.name for t in tiers.tiers if t.locked}
    for i, c in enumerate(tiers.contracts):
        if c.wallet not in wallets:
            raise ConfigError(f"contracts[{i}].wallet: {c.wallet!r} is not a declared reserve wallet")
        if assigned[c.wallet] not in locked:
            raise ConfigError(
                f"contracts[{i}].wallet: {c.wallet!r} is in tier {assigned[c.wallet]!r}, not a locked one"
            )
        try:
            parse_descriptor(c.descriptor, wallets[c.wallet])
        except ChainConfigError as exc:
            raise ConfigError(f"contracts[{i}].descriptor: {exc.detail}") from exc


def reserve_wallets(reserves: Iterable[Any]) -> dict[str, str]:
    """wallet name -> network of the reserve sources' declared wallets (names are unique across sources)."""
    return {w.name: s.config.network for s in reserves for w in s.config.wallets}
