"""Adapter registry: built-in kinds plus third-party ones from the `reserves.chains` entry-point group."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from chains.base import AdapterSpec, Role
from chains.errors import ChainConfigError
from chains.safety import clamp_recursion_limit

__all__ = ["ENTRY_POINT_GROUP", "AdapterSpec", "Role", "Spec", "available_kinds", "get_spec"]


@dataclass(frozen=True)
class Spec:
    """How to build one kind of adapter: the usual AdapterSpec (chains.base), for built-ins and plugins.

    `parse_config(name, mapping)` turns the TOML table of one source into the adapter's config
    dataclass (raising ChainConfigError that names the key); `build(config)` makes the adapter.
    """

    kind: str
    role: Role
    parse_config: Callable[[str, dict[str, Any]], Any]
    build: Callable[[Any], Any]


# kind -> "module:attribute" of a Spec; imported on first use so that importing the
# registry does not pull in web3 or embit.
_BUILTINS: dict[str, str] = {
    "bitcoin-esplora": "chains.bitcoin.esplora.adapter:SPEC",
    "bitcoin-core-rpc": "chains.bitcoin.core.adapter:SPEC",
    "bitcoin-quorum": "chains.bitcoin.quorum:SPEC",
    "evm-erc20": "chains.evm.adapter:SPEC",
    "solana-spl": "chains.solana.adapter:SPEC",
    "price-ticker": "chains.price.ticker:SPEC",
    "price-feed": "chains.price.feed:SPEC",
}
ENTRY_POINT_GROUP = "reserves.chains"


def _load(target: str) -> AdapterSpec:
    module, _, attr = target.partition(":")
    spec = getattr(importlib.import_module(module), attr)
    clamp_recursion_limit()  # web3's dependencies raise it on import
    return _checked(spec, f"{target} is not an AdapterSpec")


def _checked(spec: Any, problem: str) -> AdapterSpec:
    # A plugin may bring its own spec type: anything with the four members and a known role will do.
    if (
        not isinstance(spec, AdapterSpec)
        or spec.role not in ("reserve", "supply", "price")
        or not callable(spec.parse_config)
        or not callable(spec.build)
    ):
        raise ChainConfigError(problem)
    return spec


def available_kinds() -> list[str]:
    """All kinds that can be configured: built-ins first, then installed plugins."""
    kinds = list(_BUILTINS)
    kinds += [ep.name for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in _BUILTINS]
    return kinds


def get_spec(kind: str) -> AdapterSpec:
    """The spec of `kind`; ChainConfigError listing the known kinds when there is none."""
    if kind in _BUILTINS:
        return _load(_BUILTINS[kind])
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == kind:
            spec = ep.load()
            clamp_recursion_limit()
            return _checked(spec, f"entry point {kind!r} does not point at an AdapterSpec")
    raise ChainConfigError(f"unknown adapter kind {kind!r}; known: {', '.join(available_kinds())}")
