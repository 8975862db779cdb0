"""Loading the shared BIP-322 / BIP-137 vector files, with test ids naming file, section and entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "vectors"
BASIC = "bip322-basic-test-vectors.json"
GENERATED = "bip322-generated-test-vectors.json"
PRE2026 = "bip322-pre2026-inline-vectors.json"
BIP137 = "bip137-bitcoinjs-message-fixtures.json"


def load(name: str):
    """The parsed file; a missing file fails collection loudly (vectors are never optional)."""
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def cases(name: str, section: str):
    """(id, entry) for every entry of one section of a vector file."""
    data = load(name)
    return [
        pytest.param(e, id=f"{name}:{section}[{i}]:{e.get('type') or e.get('description', '')}")
        for i, e in enumerate(data[section])
    ]
