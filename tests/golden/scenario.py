"""The golden scenario's fixed parts: keys, guardians, configuration, proofs; independent of our layout."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.golden import toml_out

HERE = Path(__file__).resolve().parent
ENGINE_A = hashlib.sha256(b"golden engine key A").hexdigest()
ENGINE_B = hashlib.sha256(b"golden engine key B").hexdigest()
GUARDIAN_SECRETS = [hashlib.sha256(f"golden guardian {i}".encode()).hexdigest() for i in range(3)]
STATEMENTS = ["Reserves are held by the devnet custodian.", "No reserve coin is lent or pledged."]
KEY_ENV, PREVIOUS_ENV = "GOLDEN_ENGINE_KEY", "GOLDEN_PREVIOUS_KEY"


def inputs() -> dict:
    return json.loads((HERE / "inputs.json").read_text())


def expected() -> dict:
    return json.loads((HERE / "expected.json").read_text())


def config_text(tables: dict, db_url: str, guardian_pubkeys: list[str], *, rotate: bool) -> str:
    """The portal configuration of the scenario: the devnet's recorded sources, guardians, scope."""
    signing = {"key_env": KEY_ENV, "key_id": "engine-b" if rotate else "engine-a"}
    if rotate:
        signing |= {"previous_key_env": PREVIOUS_ENV, "rotation_reason": "golden rotation"}
    top = {
        "database": {"url": db_url, "auto_migrate": True},
        "signing": signing,
        "portal": {"issuer_name": "Golden custodian", "issuer_url": "https://golden.example", "token_symbol": "GBTC"},
        "policy": {"warning_below_bp": 10500, "hysteresis_bp": 100, "window_blocks": 6, "flow_flag_bp": 500},
        "guardians": {
            "threshold": 2,
            "keys": [{"key_id": f"guardian-{i}", "pubkey": p} for i, p in enumerate(guardian_pubkeys)],
        },
        "scope": {"statements": STATEMENTS},
        "proofs": {"max_age_seconds": 86400},
    }
    arrays = {
        "reserves": [{"name": n, "kind": k, **m} for n, k, m in tables["reserves"]],
        "deployments": [{"name": n, "kind": k, **m} for n, k, m in tables["deployments"]],
    }
    return toml_out.document(top, arrays)


def environment(rotate: bool) -> dict[str, str]:
    env = {KEY_ENV: ENGINE_B if rotate else ENGINE_A}
    if rotate:
        env[PREVIOUS_ENV] = ENGINE_A
    return env
