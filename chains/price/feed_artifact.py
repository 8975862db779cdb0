"""contracts/PriceFeed.json, the compiled feed contract: for its deployers (the devnet, tests) without web3."""

from __future__ import annotations

import json
from pathlib import Path

ARTIFACT = Path(__file__).resolve().parents[2] / "contracts" / "PriceFeed.json"


def load_feed_artifact() -> dict:
    """contracts/PriceFeed.json: `{abi, bytecode, compiler, source_sha256, ...}` (deployers and tests)."""
    return json.loads(ARTIFACT.read_text(encoding="utf-8"))
