"""Deployment roles: each bridge linked to its native source, its lockboxes added to the source's held list.

A lock-and-mint bridge representation is backed by native tokens locked in addresses on its source
chain. Those addresses are read with the source's supply (same block) as `held` balances: the
native entry subtracts them and the bridge entry counts max(locked, minted) (docs/attestation.md).
Settings (and the devnet's manifest, parsed the same way) build their deployments through `pop_role` +
`link_deployments`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chains.base import HeldAddress
from chains.errors import ChainConfigError
from reserves.errors import ConfigError

ROLES = ("native", "bridge")
LOCKBOX_CATEGORIES = ("lockbox", "escrow")
ROLE_KEYS = ("role", "bridge_source", "lockboxes")
MAX_LOCKBOXES = 100
MAX_ADDRESS = 128
MAX_REASON = 200  # as chains/evm/held.py allows for exclusions
_LOCKBOX_KEYS = {"address", "reason", "category"}


@dataclass(frozen=True)
class DeploymentRole:
    """A deployment's place in the supply count: `native` (mints and burns itself) or `bridge` (a
    representation of `bridge_source`, backed by `lockboxes` on the source chain)."""

    role: str = "native"
    bridge_source: str | None = None
    lockboxes: tuple[HeldAddress, ...] = ()

    def source_fields(self) -> dict[str, Any]:
        """The SourceSettings fields this role sets."""
        return {"supply_role": self.role, "bridge_source": self.bridge_source, "lockboxes": self.lockboxes}


def pop_role(name: str, mapping: dict[str, Any]) -> DeploymentRole:
    """Remove `role`, `bridge_source` and `lockboxes` from one deployment table and check them.

    The remaining keys belong to the adapter. Lockboxes get `bridge = name`. Raises ConfigError
    naming the key (`deployments.<name>.<key>: ...`).
    """
    where = f"deployments.{name}"
    role = mapping.pop("role", "native")
    source = mapping.pop("bridge_source", None)
    raw = mapping.pop("lockboxes", None)
    if role not in ROLES:
        raise ConfigError(f"{where}.role: must be 'native' or 'bridge'")
    if role == "native":
        if source is not None:
            raise ConfigError(f"{where}.bridge_source: only a deployment with role = 'bridge' has a source")
        if raw is not None:
            raise ConfigError(f"{where}.lockboxes: only a deployment with role = 'bridge' has lockboxes")
        return DeploymentRole()
    if not isinstance(source, str) or not source.strip():
        raise ConfigError(f"{where}.bridge_source: required for a bridge, the name of a native deployment")
    if source == name:
        raise ConfigError(f"{where}.bridge_source: a bridge cannot be its own source")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(
            f"{where}.lockboxes: a bridge needs at least one lockbox or escrow address on its source chain"
        )
    if len(raw) > MAX_LOCKBOXES:
        raise ConfigError(f"{where}.lockboxes: at most {MAX_LOCKBOXES} addresses")
    boxes = tuple(_lockbox(item, f"{where}.lockboxes[{i}]", name) for i, item in enumerate(raw))
    return DeploymentRole("bridge", source, boxes)


def _lockbox(item: Any, where: str, bridge: str) -> HeldAddress:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: must be a table with address, reason and category")
    unknown = sorted(set(item) - _LOCKBOX_KEYS)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key (allowed: {', '.join(sorted(_LOCKBOX_KEYS))})")
    address = item.get("address")
    if (
        not isinstance(address, str)
        or not 1 <= len(address) <= MAX_ADDRESS
        or not address.isprintable()
        or any(c.isspace() for c in address)
    ):
        raise ConfigError(f"{where}.address: required, an address on the source chain without spaces")
    reason = item.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON or not reason.isprintable():
        raise ConfigError(f"{where}.reason: required, a printable string of at most {MAX_REASON} characters")
    category = item.get("category", "lockbox")
    if category not in LOCKBOX_CATEGORIES:
        raise ConfigError(f"{where}.category: must be 'lockbox' or 'escrow'")
    return HeldAddress(address=address, category=category, reason=reason, bridge=bridge)


def link_deployments(sources: Sequence[Any]) -> tuple[Any, ...]:
    """The deployments with every bridge's lockboxes appended to its source's `config.held`.

    `sources` are SourceSettings carrying `supply_role`, `bridge_source` and `lockboxes`. A bridge's
    source must exist and be native (so no bridge of a bridge, no cycle); a bridge declares no
    exclusions of its own (it counts its whole supply); an address is held once per source (two
    bridges cannot claim one lockbox, nor a lockbox double as an exclusion). Raises ConfigError.
    """
    by_name = {s.name: s for s in sources}
    configs = {s.name: s.config for s in sources}
    for bridge in (s for s in sources if s.supply_role == "bridge"):
        where = f"deployments.{bridge.name}"
        source = by_name.get(bridge.bridge_source)
        if source is None:
            raise ConfigError(f"{where}.bridge_source: no deployment named {bridge.bridge_source!r}")
        if source.name == bridge.name:
            raise ConfigError(f"{where}.bridge_source: a bridge cannot be its own source")
        if source.supply_role != "native":
            raise ConfigError(
                f"{where}.bridge_source: {source.name!r} is a bridge; a bridge's source must be a native deployment"
            )
        if getattr(bridge.config, "held", ()):
            raise ConfigError(
                f"{where}.exclusions: a bridge counts its whole supply; declare exclusions on native deployments only"
            )
        if not hasattr(source.config, "held"):
            raise ConfigError(f"{where}.bridge_source: kind {source.kind} cannot read lockbox balances")
        for i, box in enumerate(bridge.lockboxes):
            configs[source.name] = _add_held(configs[source.name], box, f"{where}.lockboxes[{i}]", source.name)
    _check_declared_bridges(sources, by_name)
    return tuple(s if configs[s.name] is s.config else dataclasses.replace(s, config=configs[s.name]) for s in sources)


def _check_declared_bridges(sources: Sequence[Any], by_name: dict[str, Any]) -> None:
    """An exclusion may name the bridge it backs (`bridge = ...`): that must be a bridge of this deployment."""
    for s in sources:
        for i, held in enumerate(getattr(s.config, "held", ())):
            if held.bridge is None:
                continue
            target = by_name.get(held.bridge)
            if target is None or target.supply_role != "bridge" or target.bridge_source != s.name:
                raise ConfigError(
                    f"deployments.{s.name}.exclusions[{i}].bridge: {held.bridge!r} is not a bridge "
                    f"deployment with bridge_source = {s.name!r}"
                )


def _add_held(config: Any, box: HeldAddress, where: str, source: str) -> Any:
    for held in config.held:
        if held.address.lower() == box.address.lower():
            owner = f"bridge {held.bridge!r}" if held.bridge else f"a {held.category} exclusion"
            raise ConfigError(
                f"{where}.address: {box.address} is already held on deployments.{source} "
                f"(by {owner}); an address is subtracted once"
            )
    try:
        # The config's own checks run again on the longer list (address format, limits).
        return dataclasses.replace(config, held=tuple(config.held) + (box,))
    except ChainConfigError as exc:
        raise ConfigError(f"{where}: {exc.detail}") from exc
