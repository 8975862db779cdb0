"""Typed readers of TOML values for the settings modules: each error names the key and what it must be."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, overload

from reserves.errors import ConfigError


def short(t: dict[str, Any], key: str, where: str, default: str, max_len: int) -> str:
    value = str_(t, key, where, default)
    if len(value) > max_len:
        raise ConfigError(f"{where}: at most {max_len} characters")
    return value


def secret(t: dict[str, Any], key: str, where: str, env: Mapping[str, str], base: Path) -> str | None:
    if f"{key}_env" in t:
        return env_secret(t[f"{key}_env"], f"{where}_env", env)
    if f"{key}_file" in t:
        return file_secret(t[f"{key}_file"], f"{where}_file", base)
    return str_(t, key, where, None)


MAX_ENV_NAME = 128


def env_secret(var: Any, where: str, env: Mapping[str, str]) -> str:
    """The stripped value of the environment variable named by `var` (`where` is its `*_env` key)."""
    if not isinstance(var, str) or not 0 < len(var) <= MAX_ENV_NAME or "=" in var or not var.isprintable():
        raise ConfigError(f"{where}: the name of an environment variable (at most {MAX_ENV_NAME} characters, no '=')")
    if var not in env or not env[var].strip():
        raise ConfigError(f"{where}: environment variable {var!r} is not set")
    return env[var].strip()


MAX_SECRET_BYTES = 64 * 1024  # far above any key, token or URL; /dev/zero is not a secret


def file_secret(value: Any, where: str, base: Path) -> str:
    """The stripped content of the file named by `value` (`where` is its `*_file` key): UTF-8, at most
    MAX_SECRET_BYTES."""
    p = path(value, where, base)
    try:
        with p.open("rb") as f:
            raw = f.read(MAX_SECRET_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read {p} ({exc.strerror})") from exc
    if len(raw) > MAX_SECRET_BYTES:
        raise ConfigError(f"{where}: {p} is larger than {MAX_SECRET_BYTES} bytes")
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: {p} is not UTF-8 text") from exc


def table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: must be a table ([{key}])")
    return value


def no_unknown(prefix: str, t: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(t) - allowed)
    if unknown:
        raise ConfigError(f"{prefix}{unknown[0]}: unknown key (allowed: {', '.join(sorted(allowed))})")


@overload
def str_(t: dict[str, Any], key: str, where: str, default: str) -> str: ...
@overload
def str_(t: dict[str, Any], key: str, where: str, default: None) -> str | None: ...
def str_(t: dict[str, Any], key: str, where: str, default: str | None) -> str | None:
    value = t.get(key, default)
    if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > 4096):
        raise ConfigError(f"{where}: must be a non-empty string")
    return value


def bool_(t: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = t.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: must be true or false")
    return value


def int_(t: dict[str, Any], key: str, where: str, default: int, *, lo: int, hi: int) -> int:
    value = t.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(f"{where}: must be an integer from {lo} to {hi}")
    return value


def num(t: dict[str, Any], key: str, where: str, default: float, *, lo: float, hi: float) -> float:
    value = t.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise ConfigError(f"{where}: must be a number from {lo:g} to {hi:g}")
    return float(value)


def path(value: Any, where: str, base: Path) -> Path:
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise ConfigError(f"{where}: must be a path string")
    try:
        p = Path(value).expanduser()
    except RuntimeError as exc:  # "~name/..." of a user with no home directory
        raise ConfigError(f"{where}: cannot expand {value!r} (no such home directory)") from exc
    return (p if p.is_absolute() else base / p).resolve()
