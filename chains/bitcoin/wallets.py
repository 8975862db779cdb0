"""Named reserve wallets: a descriptor or a fixed address list, with the custody policy it declares."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from chains.base import TimeLock
from chains.bitcoin import policy as _policy
from chains.bitcoin.descriptors import ReserveDescriptor, normalize_address, parse_descriptor
from chains.bitcoin.locks import NO_LOCK, LockAnalysisError, PathLocks, fragments, spending_paths, unlock_at
from chains.errors import ChainConfigError

MAX_WALLETS = 100  # per reserve source
MAX_ADDRESSES = 10_000  # fixed addresses per reserve source, all wallets together
MAX_LABEL_CHARS = 200
WALLET_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
_KEYS = {"name", "label", "descriptor", "addresses", "gap_limit"}


@dataclass(frozen=True)
class KeyInfo:
    """One key of a wallet's script, as declared.

    `fingerprint` (8 hex) and `path` ("m/48h/0h/0h/2h") come from the key origin when given;
    `key` is the declared xpub/tpub (without derivation suffix) or the hex public key.
    `id` is a stable identifier: the fingerprint when declared, else the first 16 hex chars of
    sha256(key).
    """

    id: str
    key: str
    fingerprint: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class WalletPolicy:
    """What the wallet's script requires, for display and for key liveness.

    `script_type`: "p2pkh", "p2wpkh", "p2sh-p2wpkh", "p2tr", "p2wsh-multisig",
    "p2wsh-miniscript", "p2sh-multisig" or "addresses" (a fixed list: script not declared).
    `threshold` is M of a multisig (None otherwise); `keys` are all declared keys (N = len).
    `timelocks` are the miniscript fragments that lock a path, e.g. ("after(800000)", "older(144)").
    `description` is one human sentence ("2 of 3 keys; or key D after block 800000").
    """

    script_type: str
    threshold: int | None
    keys: tuple[KeyInfo, ...]
    timelocks: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class WalletSpec:
    """One declared wallet: exactly one of `descriptor` (checked, checksum stripped) or `addresses`.

    Built by `parse_wallets` (which checks everything) or directly (the descriptor is then parsed
    on first use and ChainConfigError raised there). Derived addresses are cached per branch.
    """

    name: str
    network: str
    descriptor: str | None = None
    addresses: tuple[str, ...] = ()
    label: str | None = None
    gap_limit: int = 20
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    @cached_property
    def parsed(self) -> ReserveDescriptor | None:
        """The checked descriptor; None for an address list."""
        return None if self.descriptor is None else parse_descriptor(self.descriptor, self.network)

    @cached_property
    def _paths(self) -> tuple[PathLocks, ...]:
        parsed = self.parsed
        if parsed is None:
            return (NO_LOCK,)
        desc = parsed._desc
        if desc.taproot:
            # A taproot key path is always open, unless the internal key is BIP-341's unspendable H:
            # then only the leaves can spend, and their locks count.
            if not desc.taptree or not _unspendable_internal_key(desc):
                return (NO_LOCK,)
            scripts = _leaf_miniscripts(desc.taptree.tree)
        elif desc.miniscript is None:
            return (NO_LOCK,)  # single keys are always spendable
        else:
            scripts = [desc.miniscript]
        try:
            found: list[PathLocks] = []
            for script in scripts:
                try:
                    found += spending_paths(script)
                except LockAnalysisError:
                    if len(scripts) == 1:
                        raise
            if not found:
                raise LockAnalysisError("no leaf of the taproot tree can be satisfied")
            return tuple(dict.fromkeys(found))
        except LockAnalysisError as exc:
            raise ChainConfigError(f"descriptor: {exc}") from exc
        except RecursionError as exc:
            raise ChainConfigError("descriptor nested too deeply") from exc

    @property
    def time_locked(self) -> bool:
        """Whether some spending path of the script waits for a time lock."""
        return any(p.locked for p in self._paths)

    @property
    def relative_time_lock(self) -> bool:
        """Whether some path has a time-based `older()` (BIP-68, 512 s units)."""
        return any(p.older_units for p in self._paths)

    def policy(self) -> WalletPolicy:
        """The custody policy the declaration states (no chain access)."""
        return self._policy

    @cached_property
    def _policy(self) -> WalletPolicy:
        if self.parsed is None:
            return WalletPolicy(
                "addresses", None, (), (), f"{len(self.addresses)} declared addresses; script not declared"
            )
        desc = self.parsed._desc
        keys, ids = [], {}
        for key in desc.keys:
            info = KeyInfo(*_policy.key_fields(key))
            keys.append(info)
            ids[id(key)] = info.id
        locks = () if desc.miniscript is None or desc.taproot else fragments(desc.miniscript)
        return WalletPolicy(
            script_type=_policy.script_type(desc),
            threshold=_policy.threshold(desc),
            keys=tuple(keys),
            timelocks=locks,
            description=_policy.describe(desc, ids),
        )

    def declaration(self) -> dict[str, Any]:
        """JSON-safe canonical declaration (what a reserve-set version hashes): name, label,
        network, and descriptor or sorted addresses, gap_limit; plus `policy` as plain JSON."""
        out: dict[str, Any] = {"name": self.name, "label": self.label, "network": self.network}
        if self.descriptor is not None:
            out["descriptor"] = self.descriptor
        else:
            out["addresses"] = sorted(self.addresses)
        out["gap_limit"] = self.gap_limit
        pol = self.policy()
        out["policy"] = {
            "script_type": pol.script_type,
            "threshold": pol.threshold,
            "keys": [asdict(k) for k in pol.keys],
            "timelocks": list(pol.timelocks),
            "description": pol.description,
        }
        return out

    def lock_at(
        self,
        address: str,
        utxo_height: int | None,
        tip_height: int,
        tip_median_time: int | None,
        *,
        utxo_median_time: int | None = None,
    ) -> TimeLock | None:
        """None when a spending path of `address`'s script is open in the block after the tip,
        else the earliest unlock over all paths. Address-list wallets: always None.

        Every address of a descriptor shares its lock numbers (only keys change with the child), so
        `address` is not looked up. `utxo_median_time` is the median time past of the block before
        the output's block, for time-based `older()`; a later time (the output block's own median
        time) only makes the unlock later. See `chains.bitcoin.locks.unlock_at`.
        """
        if self.descriptor is None:
            return None
        return unlock_at(
            self._paths,
            utxo_height=utxo_height,
            tip_height=tip_height,
            tip_median_time=tip_median_time,
            utxo_median_time=utxo_median_time,
        )

    @property
    def branches(self) -> int:
        return 1 if self.parsed is None else self.parsed.branches

    @property
    def ranged(self) -> bool:
        return self.parsed is not None and self.parsed.ranged

    def address(self, index: int, branch: int = 0) -> str:
        """Address of child `index` on `branch` (cached; derives the children below it too)."""
        if self.parsed is None:
            return self.addresses[index]
        if not self.parsed.ranged:
            index = 0
        derived = self._cache.setdefault(branch, [])
        while len(derived) <= index:
            derived.append(self.parsed.address(len(derived), branch))
        return derived[index]

    def locate(self, address: str, max_index: int = 10_000) -> tuple[int, int] | None:
        """(branch, child index) of `address` in this wallet, or None. Address lists: (0, position)."""
        try:
            address = normalize_address(address, self.network)
        except ChainConfigError:
            return None
        if self.parsed is None:
            return (0, self.addresses.index(address)) if address in self.addresses else None
        limit = max_index if self.parsed.ranged else 1
        for branch in range(self.parsed.branches):
            derived = self._cache.get(branch, [])
            if address in derived[:limit]:
                return branch, derived.index(address)
        for branch in range(self.parsed.branches):
            for index in range(len(self._cache.get(branch, [])), limit):
                if self.address(index, branch) == address:
                    return branch, index
        return None

    def key_pubkeys(self, address: str) -> list[tuple[KeyInfo, str]]:
        """For each declared key, the public key (hex: 33-byte compressed, or 32-byte x-only for
        taproot) it derives to at `address`; [] when unknown (address lists, or not located).

        For a taproot key path the x-only key is the tweaked output key of `address`: it is the key
        a key-path signature (BIP-322 included) verifies against.
        """
        parsed = self.parsed
        where = self.locate(address) if parsed is not None else None
        if parsed is None or where is None:
            return []
        branch, index = where
        derived = parsed._desc.derive(index if parsed.ranged else 0, branch_index=branch)
        infos = self.policy().keys
        out = []
        for i, (info, key) in enumerate(zip(infos, derived.keys)):
            if derived.taproot and i == 0:
                out.append((info, derived.script_pubkey().data[2:].hex()))
            elif derived.taproot:
                out.append((info, key.get_public_key().xonly().hex()))
            else:
                out.append((info, key.get_public_key().sec().hex()))
        return out


# BIP-341's provably unspendable point H (x-only): an internal key that turns the key path off.
UNSPENDABLE_KEY = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0"


def _unspendable_internal_key(desc: Any) -> bool:
    """Whether a taproot descriptor's internal key is H (as a key, or as an xpub's key: its children
    are H plus a known tweak, just as unspendable). H + rG with a secret r cannot be recognised."""
    key = desc.key.key
    point = getattr(key, "key", key) if desc.key.is_extended else key
    try:
        return point.xonly().hex() == UNSPENDABLE_KEY
    except Exception:  # noqa: BLE001 - a key embit cannot express x-only is not H
        return False


def _leaf_miniscripts(tree: Any) -> list[Any]:
    """The miniscript of every leaf of an embit TapTree node (a TapLeaf or a pair of TapTrees)."""
    if isinstance(tree, tuple):
        return [m for sub in tree for m in _leaf_miniscripts(sub.tree)]
    return [] if tree is None or tree.miniscript is None else [tree.miniscript]


def parse_wallets(value: Any, network: str, where: str) -> tuple[WalletSpec, ...]:
    """Wallets from a TOML array of tables `[[reserves.wallets]]` (name, descriptor | addresses,
    label, gap_limit); ChainConfigError naming `where[i].key` for anything invalid.

    At most MAX_WALLETS wallets and MAX_ADDRESSES fixed addresses in all; names are unique here
    (uniqueness across sources is the reserve set's check). Descriptors are fully checked now:
    keys of `network`, expandable, policy and time locks analysable, at least one satisfiable path.
    """
    if not isinstance(value, (list, tuple)):
        raise ChainConfigError(f"{where}: must be an array of tables ([[...wallets]])")
    if len(value) > MAX_WALLETS:
        raise ChainConfigError(f"{where}: at most {MAX_WALLETS} wallets")
    wallets: list[WalletSpec] = []
    seen: set[str] = set()
    total = 0
    for i, table in enumerate(value):
        spec = _wallet(table, network, f"{where}[{i}]")
        if spec.name in seen:
            raise ChainConfigError(f"{where}[{i}].name: wallet {spec.name!r} declared twice")
        seen.add(spec.name)
        total += len(spec.addresses)
        if total > MAX_ADDRESSES:
            raise ChainConfigError(f"{where}[{i}].addresses: at most {MAX_ADDRESSES} addresses in all wallets")
        wallets.append(spec)
    return tuple(wallets)


def _wallet(table: Any, network: str, where: str) -> WalletSpec:
    if not isinstance(table, dict):
        raise ChainConfigError(f"{where}: must be a table")
    unknown = sorted(set(map(str, table)) - _KEYS)
    if unknown:
        raise ChainConfigError(f"{where}.{unknown[0]}: unknown key")
    name = table.get("name")
    if not isinstance(name, str) or not WALLET_NAME.fullmatch(name):
        raise ChainConfigError(f"{where}.name: must be 1-64 characters of A-Z a-z 0-9 . _ -")
    label = table.get("label")
    if label is not None and (not isinstance(label, str) or len(label) > MAX_LABEL_CHARS or not label.isprintable()):
        raise ChainConfigError(f"{where}.label: must be printable text of at most {MAX_LABEL_CHARS} characters")
    if ("descriptor" in table) == ("addresses" in table):
        raise ChainConfigError(f"{where}.descriptor: declare exactly one of descriptor or addresses")
    if "addresses" in table:
        if "gap_limit" in table:
            raise ChainConfigError(f"{where}.gap_limit: only for descriptor wallets")
        addresses = wallet_addresses(table["addresses"], network, f"{where}.addresses")
        return WalletSpec(name=name, network=network, addresses=addresses, label=label)
    gap = table.get("gap_limit", 20)
    if isinstance(gap, bool) or not isinstance(gap, int) or not 1 <= gap <= 1000:
        raise ChainConfigError(f"{where}.gap_limit: must be an integer >= 1 and <= 1000")
    return checked_descriptor_wallet(name, network, table["descriptor"], label, gap, f"{where}.descriptor")


def wallet_addresses(value: Any, network: str, where: str) -> tuple[str, ...]:
    """Canonical addresses of a list (order kept, repeats dropped); ChainConfigError naming `where[i]`."""
    if not isinstance(value, (list, tuple)) or not value:
        raise ChainConfigError(f"{where}: must be a non-empty list of address strings")
    if len(value) > MAX_ADDRESSES:
        raise ChainConfigError(f"{where}: at most {MAX_ADDRESSES} entries")
    seen: dict[str, None] = {}
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise ChainConfigError(f"{where}[{i}]: must be a string")
        try:
            seen[normalize_address(item.strip(), network)] = None
        except ChainConfigError as exc:
            raise ChainConfigError(f"{where}[{i}]: {exc.detail}") from exc
    return tuple(seen)


def checked_descriptor_wallet(
    name: str, network: str, text: Any, label: str | None, gap_limit: int, where: str
) -> WalletSpec:
    """A descriptor wallet whose descriptor, policy and time locks were all analysed once."""
    try:
        parsed = parse_descriptor(text, network)
        spec = WalletSpec(name=name, network=network, descriptor=parsed.text, label=label, gap_limit=gap_limit)
        spec.__dict__["parsed"] = parsed  # reuse the parse (cached_property slot)
        _ = spec._paths
        spec.policy()
    except ChainConfigError as exc:
        raise ChainConfigError(f"{where}: {exc.detail}") from exc
    except RecursionError as exc:
        raise ChainConfigError(f"{where}: descriptor nested too deeply") from exc
    except Exception as exc:  # embit may fail late (odd keys in description/derivation): refuse it
        raise ChainConfigError(f"{where}: descriptor cannot be analysed ({type(exc).__name__})") from exc
    return spec
