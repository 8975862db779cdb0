"""The [[reserves]] and [[deployments]] arrays: each entry parsed by its adapter kind, secrets resolved."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chains.errors import ChainConfigError
from chains.registry import get_spec
from reserves.declarations.supply_set import pop_role
from reserves.errors import ConfigError
from reserves.settings.model import SourceSettings
from reserves.settings.values import env_secret, file_secret

_JOINERS = frozenset("\u200c\u200d")


def sources(data: dict[str, Any], key: str, role: str, env: Mapping[str, str], base: Path) -> tuple:
    entries = data.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{key}: must be an array of tables ([[{key}]])")
    seen: set[str] = set()
    out = []
    for i, entry in enumerate(entries):
        where = f"{key}[{i}]"
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 64:
            raise ConfigError(f"{where}.name: required, a non-empty string of at most 64 characters")
        # Names are shown, logged and stored: no control or format characters (NUL, line breaks,
        # escapes, bidirectional overrides), but the zero-width (non-)joiner that Persian and Indic
        # scripts and emoji sequences need.
        if not all(ch.isprintable() or ch in _JOINERS for ch in name):
            raise ConfigError(f"{where}.name: printable characters only (no control or format characters)")
        if name in seen:
            raise ConfigError(f"{where}.name: duplicate name {name!r}")
        seen.add(name)
        out.append(_source(entry, f"{key}.{name}", role, env, base))
    return tuple(out)


def _source(entry: dict[str, Any], where: str, role: str, env: Mapping[str, str], base: Path) -> Any:
    kind = entry.get("kind")
    if not isinstance(kind, str):
        raise ConfigError(f"{where}.kind: required, e.g. 'bitcoin-esplora' or 'evm-erc20'")
    try:
        spec = get_spec(kind)
    except ChainConfigError as exc:
        raise ConfigError(f"{where}.kind: {exc.detail}") from exc
    if spec.role != role:
        raise ConfigError(f"{where}.kind: {kind!r} reads {spec.role}, not {role}")
    mapping = _resolve_secrets(entry, where, env, base)
    mapping.pop("kind")
    name = mapping.pop("name")
    # Roles are the supply count's business, not the adapter's: taken out before it parses.
    supply = pop_role(name, mapping) if role == "supply" else None
    try:
        config = spec.parse_config(name, mapping)
    except ChainConfigError as exc:
        detail = exc.detail if exc.detail.startswith(where) else f"{where}: {exc.detail}"
        raise ConfigError(detail) from exc
    return SourceSettings(name=name, kind=kind, role=role, config=config, **(supply.source_fields() if supply else {}))


def _resolve_secrets(entry: dict[str, Any], where: str, env: Mapping[str, str], base: Path) -> dict[str, Any]:
    """Replace `k_env` / `k_file` keys by `k` with the value read from the environment or file."""
    out: dict[str, Any] = {}
    for key, value in entry.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            # Nested tables (a quorum's [[reserves.backends]]) may hold secrets of their own.
            out[key] = [_resolve_secrets(v, f"{where}.{key}[{i}]", env, base) for i, v in enumerate(value)]
        elif key.endswith(("_env", "_file")) and isinstance(value, str):
            target = key.rsplit("_", 1)[0]
            if target in entry:
                raise ConfigError(f"{where}.{key}: give either {target} or {key}, not both")
            if key.endswith("_env"):
                secret = env_secret(value, f"{where}.{key}", env)
            else:
                secret = file_secret(value, f"{where}.{key}", base)
            # A list of URLs (rpc_urls) from one variable or file: separated by commas or whitespace.
            out[target] = re.split(r"[\s,]+", secret.strip()) if target.endswith("_urls") else secret
        else:
            out[key] = value
    return out
