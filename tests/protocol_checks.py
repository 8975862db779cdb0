"""Checks that a value satisfies a Protocol of chains.base, member types included (shared by tests)."""

from __future__ import annotations

import types
import typing
from typing import Any

from chains.bitcoin.wallets import WalletSpec

# Names that chains.base only imports for annotations (wallets.py imports chains.base).
ANNOTATION_NAMES = {"WalletSpec": WalletSpec}


def members(protocol: type) -> dict[str, Any]:
    """Each property of `protocol` (its own and inherited) -> the type its getter declares."""
    found: dict[str, Any] = {}
    for klass in reversed(protocol.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, property):
                found[name] = typing.get_type_hints(value.fget, localns=ANNOTATION_NAMES)["return"]
    return found


def conforms(value: Any, hint: Any) -> bool:
    """Whether `value` is of the declared type (plain classes, `X | None`, `tuple[X, ...]`, Literal)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, arg) for arg in args)
    if origin is typing.Literal:
        return value in args
    if origin is tuple:
        return isinstance(value, tuple) and all(conforms(item, args[0]) for item in value)
    if hint is type(None):
        return value is None
    if hint is int:  # bool is an int subclass; a config holding True where a count goes is wrong
        return isinstance(value, int) and not isinstance(value, bool)
    if typing.get_origin(hint) is None and isinstance(hint, type):
        return isinstance(value, hint)
    return callable(value)  # Callable[...] members: calling them is each test's business


def assert_conforms(value: Any, protocol: type) -> None:
    """`value` passes isinstance against the runtime-checkable `protocol` and has each member's type."""
    assert isinstance(value, protocol), f"{type(value).__name__} is not a {protocol.__name__}"
    for name, hint in members(protocol).items():
        assert conforms(getattr(value, name), hint), f"{type(value).__name__}.{name} is not {hint}"
