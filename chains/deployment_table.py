"""The checks every supply deployment's TOML table shares, whatever its chain."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from chains.errors import ChainConfigError


def deployment_error(name: str, key: str, message: str) -> ChainConfigError:
    """An error that names the key: `deployments.<name>.<key>: <message>`."""
    return ChainConfigError(f"deployments.{name}.{key}: {message}")


def deployment_values(
    name: str, mapping: Any, kind: str, config_cls: type, required: tuple[str, ...]
) -> dict[str, Any]:
    """The table's keys without `kind`, after checking: a table, its own kind, no key the config
    dataclass lacks, every `required` key present. Values are checked by the config itself."""
    if not isinstance(mapping, dict):
        raise ChainConfigError(f"deployments.{name}: must be a table")
    values = dict(mapping)
    if values.pop("kind", kind) != kind:
        raise deployment_error(name, "kind", f"must be {kind!r} for this adapter")
    known = {f.name for f in fields(config_cls)} - {"name"}
    for key in values:
        if key not in known:
            raise deployment_error(name, str(key), f"unknown key; expected one of {', '.join(sorted(known))}")
    for key in required:
        if key not in values:
            raise deployment_error(name, key, "missing")
    return values
