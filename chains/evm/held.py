"""Checks of declared non-circulating holders (`exclusions`, bridge lockboxes) of an EVM deployment."""

from __future__ import annotations

import re
from typing import Any

from eth_utils import to_checksum_address

from chains.base import HELD_CATEGORIES, HeldAddress
from chains.deployment_table import deployment_error
from chains.errors import ChainConfigError
from chains.hexes import is_evm_address

MAX_HELD = 100
# Holders of one balance reading (chains.evm.balances), e.g. a liquidity provider's collateral addresses.
MAX_HOLDERS = 20
MAX_REASON = 200
MAX_BRIDGE_NAME = 64  # as long as a deployment name may be
_EXCLUSION_KEYS = {"address", "category", "reason", "bridge"}
# Reasons are published in attestations and shown on pages: one line of printable text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def checksum_ok(address: str) -> bool:
    """True for all-lower or all-upper hex, or mixed case with a valid EIP-55 checksum."""
    digits = address[2:]
    if digits.islower() or digits.isupper() or digits.isdigit():
        return True
    return to_checksum_address(address) == address


def check_evm_address(label: str, key: str, address: object) -> str:
    """`address` when it is 0x + 40 hex digits with a valid EIP-55 checksum (if mixed-case), else
    ChainConfigError naming `label.key`."""
    if not isinstance(address, str) or not is_evm_address(address):
        raise ChainConfigError(f"{label}.{key}: not a 20-byte hex address (0x + 40 hex digits)")
    if not checksum_ok(address):
        raise ChainConfigError(f"{label}.{key}: mixed-case address with a bad EIP-55 checksum")
    return address


def parse_exclusions(name: str, raw: Any) -> tuple[HeldAddress, ...]:
    """`exclusions = [{address, category, reason, bridge?}, ...]` as HeldAddress, in declaration order.

    Raises ChainConfigError naming `deployments.<name>.exclusions[i].<key>`.
    """
    if not isinstance(raw, (list, tuple)):
        raise deployment_error(name, "exclusions", "must be an array of tables")
    if len(raw) > MAX_HELD:
        raise deployment_error(name, "exclusions", f"at most {MAX_HELD} entries")
    out = []
    for i, entry in enumerate(raw):
        where = f"exclusions[{i}]"
        if not isinstance(entry, dict):
            raise deployment_error(name, where, "must be a table {address, category, reason}")
        for key in entry:
            if key not in _EXCLUSION_KEYS:
                raise deployment_error(
                    name, f"{where}.{key}", f"unknown key; expected one of {', '.join(sorted(_EXCLUSION_KEYS))}"
                )
        for key in ("address", "category", "reason"):
            if key not in entry:
                raise deployment_error(name, f"{where}.{key}", "missing")
        out.append(
            HeldAddress(
                address=entry["address"], category=entry["category"], reason=entry["reason"], bridge=entry.get("bridge")
            )
        )
    held = tuple(out)
    check_held(name, held, "exclusions")
    return held


def check_held(name: str, held: Any, key: str = "held") -> None:
    """Every holder well-formed, at most MAX_HELD, no address twice (case-insensitive).

    Run on every construction of a config, so holders a settings layer adds later (bridge
    lockboxes through dataclasses.replace) get the same checks as those parsed from the file.
    """
    if not isinstance(held, tuple):
        raise deployment_error(name, key, "must be a tuple of HeldAddress")
    if len(held) > MAX_HELD:
        raise deployment_error(name, key, f"at most {MAX_HELD} holders, got {len(held)}")
    seen: dict[str, int] = {}
    for i, holder in enumerate(held):
        where = f"{key}[{i}]"
        if not isinstance(holder, HeldAddress):
            raise deployment_error(name, where, "must be a HeldAddress")
        _check_holder(name, where, holder)
        first = seen.setdefault(holder.address.lower(), i)
        if first != i:
            raise deployment_error(name, f"{where}.address", f"same address as {key}[{first}] (case-insensitive)")


def _check_holder(name: str, where: str, holder: HeldAddress) -> None:
    if not is_evm_address(holder.address):
        raise deployment_error(name, f"{where}.address", "not a 20-byte hex address (0x + 40 hex digits)")
    if not checksum_ok(holder.address):
        raise deployment_error(name, f"{where}.address", "mixed-case address with a bad EIP-55 checksum")
    if holder.category not in HELD_CATEGORIES:
        raise deployment_error(name, f"{where}.category", f"must be one of {', '.join(HELD_CATEGORIES)}")
    reason = holder.reason
    if not isinstance(reason, str) or not reason.strip():
        raise deployment_error(name, f"{where}.reason", "required: a non-empty string saying why it is not circulating")
    if len(reason) > MAX_REASON:
        raise deployment_error(name, f"{where}.reason", f"at most {MAX_REASON} characters, got {len(reason)}")
    if _CONTROL.search(reason):
        raise deployment_error(name, f"{where}.reason", "must be one line of printable text (no control characters)")
    _check_bridge(name, where, holder)
    if holder.category == "lockbox" and holder.bridge is None:
        # Tokens locked for a bridge circulate as its representation elsewhere: subtracting them
        # here without counting that representation would undercount liabilities.
        raise deployment_error(
            name,
            f"{where}.bridge",
            "a lockbox must name the bridge deployment it backs "
            "(declare the bridge with role = 'bridge', or use category 'escrow')",
        )


def _check_bridge(name: str, where: str, holder: HeldAddress) -> None:
    bridge = holder.bridge
    if bridge is None:
        return
    if holder.category not in ("lockbox", "escrow"):
        raise deployment_error(name, f"{where}.bridge", "only a lockbox or escrow backs a bridge")
    if not isinstance(bridge, str) or not bridge.strip() or len(bridge) > MAX_BRIDGE_NAME or _CONTROL.search(bridge):
        raise deployment_error(
            name, f"{where}.bridge", f"must name a deployment (1 to {MAX_BRIDGE_NAME} printable characters)"
        )
