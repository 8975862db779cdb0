"""A tiny TOML writer for the golden scenario's configuration (strings, numbers, lists, inline tables)."""

from __future__ import annotations

import json
from typing import Any


def value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def document(tables: dict[str, dict], arrays: dict[str, list[dict]]) -> str:
    lines = []
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{json.dumps(k)} = {value(v)}" for k, v in table.items()]
    for name, entries in arrays.items():
        for entry in entries:
            lines.append(f"[[{name}]]")
            lines += [f"{json.dumps(k)} = {value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"
