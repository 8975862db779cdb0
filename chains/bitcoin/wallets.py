"""Named reserve wallets: a descriptor or a fixed address list, with the custody policy it declares.

CONTRACT (filled in by the wallets work package; signatures are fixed, other modules rely on them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chains.base import TimeLock


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
    """One declared wallet: exactly one of `descriptor` (checked, checksum stripped) or `addresses`."""

    name: str
    network: str
    descriptor: str | None = None
    addresses: tuple[str, ...] = ()
    label: str | None = None
    gap_limit: int = 20

    def policy(self) -> WalletPolicy:
        """The custody policy the declaration states (no chain access)."""
        raise NotImplementedError

    def declaration(self) -> dict[str, Any]:
        """JSON-safe canonical declaration (what a reserve-set version hashes): name, label,
        network, and descriptor or sorted addresses, gap_limit; plus `policy` as plain JSON."""
        raise NotImplementedError

    def lock_at(self, address: str, utxo_height: int | None, tip_height: int, tip_median_time: int | None) -> TimeLock | None:
        """None when a spending path of `address`'s script is open in the block after the tip,
        else the earliest unlock over all paths. Address-list wallets: always None."""
        raise NotImplementedError

    def locate(self, address: str, max_index: int = 10_000) -> tuple[int, int] | None:
        """(branch, child index) of `address` in this wallet, or None. Address lists: (0, position)."""
        raise NotImplementedError

    def key_pubkeys(self, address: str) -> list[tuple[KeyInfo, str]]:
        """For each declared key, the public key (hex: 33-byte compressed, or 32-byte x-only for
        taproot) it derives to at `address`; [] when unknown (address lists, or not located)."""
        raise NotImplementedError


def parse_wallets(value: Any, network: str, where: str) -> tuple[WalletSpec, ...]:
    """Wallets from a TOML array of tables `[[reserves.wallets]]` (name, descriptor | addresses,
    label, gap_limit); ChainConfigError naming `where[i].key` for anything invalid."""
    raise NotImplementedError
