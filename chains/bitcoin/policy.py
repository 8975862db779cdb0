"""The custody policy a descriptor states: script type, declared keys, threshold, one human sentence."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from embit import bip32
from embit.descriptor import Descriptor
from embit.descriptor import miniscript as ms
from embit.descriptor.arguments import Key

from chains.bitcoin.locks import LOCKTIME_THRESHOLD, SEQUENCE_GRANULARITY, SEQUENCE_MASK, SEQUENCE_TYPE_FLAG


def key_fields(key: Key) -> tuple[str, str, str | None, str | None]:
    """(id, key, fingerprint, path) of a declared descriptor key, as KeyInfo holds them.

    `key` is the declared text without origin and derivation suffix (xpub/tpub or hex public key).
    """
    text = str(key)
    core = text[len(key.prefix) : len(text) - len(key.suffix)] if key.suffix else text[len(key.prefix) :]
    fingerprint = path = None
    if key.origin is not None:
        fingerprint = key.origin.fingerprint.hex()
        path = bip32.path_to_str(key.origin.derivation)
    ident = fingerprint or hashlib.sha256(core.encode()).hexdigest()[:16]
    return ident, core, fingerprint, path


def script_type(desc: Descriptor) -> str:
    """p2pkh, p2wpkh, p2sh-p2wpkh, p2tr, (p2sh-)(p2wsh-)multisig or (p2sh-)(p2wsh-)miniscript."""
    if desc.taproot:
        return "p2tr"
    if desc.miniscript is None:
        if desc.wpkh:
            return "p2sh-p2wpkh" if desc.sh else "p2wpkh"
        return "p2pkh"
    body = "multisig" if isinstance(desc.miniscript, ms.Multi) else "miniscript"
    prefix = ("p2sh-p2wsh-" if desc.sh else "p2wsh-") if desc.wsh else "p2sh-"
    return prefix + body


def threshold(desc: Descriptor) -> int | None:
    """M of a plain multisig; None for single keys and other miniscripts (the description says more)."""
    if desc.miniscript is not None and isinstance(desc.miniscript, ms.Multi):
        return int(desc.miniscript.args[0].num)
    return None


def describe(desc: Descriptor, ids: dict[int, str]) -> str:
    """One sentence, e.g. "2 of 3 keys (a, b, c); or key d after block 800000".

    `ids` maps id() of each declared embit Key to its KeyInfo id.
    """
    if desc.taproot:
        text = f"key {ids[id(desc.key)]} (taproot key path)"
        return text + "; or a script path" if desc.taptree else text
    if desc.miniscript is None:
        return f"key {ids[id(desc.key)]}"
    return _node(desc.miniscript, ids)


def _node(node: Any, ids: dict[int, str]) -> str:
    if isinstance(node, ms.Multi):
        keys = node.args[1:]
        return f"{node.args[0].num} of {len(keys)} keys ({', '.join(ids.get(id(k), '?') for k in keys)})"
    if isinstance(node, (ms.Pk, ms.PkK, ms.Pkh, ms.PkH)):
        return f"key {ids.get(id(node.arg), '?')}"
    if isinstance(node, ms.After):
        return _after(node.arg.num)
    if isinstance(node, ms.Older):
        return _older(node.arg.num)
    if isinstance(node, ms.Sha256):  # and its subclasses hash256, ripemd160, hash160
        return f"a {node.NAME} preimage"
    if isinstance(node, ms.Wrapper):
        return _node(node.arg, ids)
    if isinstance(node, (ms.AndV, ms.AndB, ms.AndN)):
        return f"{_node(node.args[0], ids)} and {_node(node.args[1], ids)}"
    if isinstance(node, (ms.OrB, ms.OrC, ms.OrD, ms.OrI)):
        return f"{_node(node.args[0], ids)}; or {_node(node.args[1], ids)}"
    if isinstance(node, ms.AndOr):
        x, y, z = (_node(a, ids) for a in node.args)
        return f"{x} and {y}; or {z}"
    if isinstance(node, ms.Thresh):
        return f"{node.args[0].num} of ({', '.join(_node(a, ids) for a in node.args[1:])})"
    return node.NAME


def _after(n: int) -> str:
    if n < LOCKTIME_THRESHOLD:
        return f"after block {n}"
    return "after " + datetime.fromtimestamp(n, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _older(n: int) -> str:
    value = n & SEQUENCE_MASK
    if n & SEQUENCE_TYPE_FLAG:
        seconds = value * SEQUENCE_GRANULARITY
        about = f"{seconds / 86400:.1f} days" if seconds >= 86400 else f"{seconds / 3600:.1f} hours"
        return f"{seconds} s (about {about}) after the deposit"
    return f"{value} blocks after the deposit"
