"""Chain readings as JSON and back, so that recorded inputs survive any move of our own modules.

Only the value types of `chains.base` are encoded: each object carries its type name, datetimes
are ISO 8601 strings, tuples become lists and come back as tuples.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from chains import base

TYPES = {
    cls.__name__: cls
    for cls in (
        base.BlockRef,
        base.TimeLock,
        base.Utxo,
        base.DuplicateOutpoint,
        base.ReserveReading,
        base.HeldAddress,
        base.HeldBalance,
        base.RpcAgreement,
        base.SupplyReading,
    )
}


def encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"$type": type(value).__name__}
        for f in dataclasses.fields(value):
            out[f.name] = encode(getattr(value, f.name))
        return out
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        cls = TYPES[value["$type"]]
        kwargs = {k: decode(v) for k, v in value.items() if k != "$type"}
        return cls(**kwargs)
    if isinstance(value, list):
        return tuple(decode(v) for v in value)
    return value
