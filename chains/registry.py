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


@dataclass(frozen=True)
class _Builtin:
    role: Role
    parse: str  # "module:function": its parse_config, in a module that imports no node client
    spec: str  # "module:attribute": its Spec, whose module imports the client (web3, httpx, ...)


# Every role parses configurations (the web role too, from the devnet's manifest), only the worker builds
# adapters: a built-in kind's parse_config is imported on first use, its adapter's module (web3 for the EVM
# kinds) only when an adapter is first built. Importing the registry pulls in neither.
_BUILTINS: dict[str, _Builtin] = {
    "bitcoin-esplora": _Builtin(
        "reserve", "chains.bitcoin.esplora.config:parse_config", "chains.bitcoin.esplora.adapter:SPEC"
    ),
    "bitcoin-core-rpc": _Builtin(
        "reserve", "chains.bitcoin.core.config:parse_config", "chains.bitcoin.core.adapter:SPEC"
    ),
    "bitcoin-quorum": _Builtin("reserve", "chains.bitcoin.quorum:parse_config", "chains.bitcoin.quorum:SPEC"),
    "evm-erc20": _Builtin("supply", "chains.evm.config:parse_config", "chains.evm.adapter:SPEC"),
    "solana-spl": _Builtin("supply", "chains.solana.config:parse_config", "chains.solana.adapter:SPEC"),
    "price-ticker": _Builtin("price", "chains.price.config:parse_ticker", "chains.price.ticker:SPEC"),
    "price-feed": _Builtin("price", "chains.price.config:parse_feed", "chains.price.feed:SPEC"),
}
ENTRY_POINT_GROUP = "reserves.chains"


def _attribute(target: str) -> Any:
    module, _, attr = target.partition(":")
    found = getattr(importlib.import_module(module), attr)
    clamp_recursion_limit()  # web3's dependencies raise it on import
    return found


def _load(target: str) -> AdapterSpec:
    return _checked(_attribute(target), f"{target} is not an AdapterSpec")


def _builtin(kind: str, builtin: _Builtin) -> Spec:
    """The Spec of a built-in kind: its own parse_config; `build` imports the adapter's module when first called."""

    def build(config: Any) -> Any:
        return _load(builtin.spec).build(config)

    return Spec(kind, builtin.role, _attribute(builtin.parse), build)


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
        return _builtin(kind, _BUILTINS[kind])
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == kind:
            spec = ep.load()
            clamp_recursion_limit()
            return _checked(spec, f"entry point {kind!r} does not point at an AdapterSpec")
    raise ChainConfigError(f"unknown adapter kind {kind!r}; known: {', '.join(available_kinds())}")
