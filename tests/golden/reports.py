"""The documents whose verification reports the golden test pins, and those reports.

Stored documents of every format (1 and 2 from tests/attestation/fixtures, 3 and a mixed chain
from golden/older.json, 4 from the scenario's chain), each also tampered in every member class.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reserves.attestation.canonical import canonical_bytes
from reserves.attestation.verify import verify_chain, verify_document

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "attestation" / "fixtures"
FORMAT2_KEY = "f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9"

# (name, path into the attestation, new value); a path a document lacks is skipped for it.
TAMPER: list[tuple[str, tuple, Any]] = [
    ("sequence", ("sequence",), 99),
    ("previous", ("previous",), "ab" * 32),
    ("issued_at", ("issued_at",), "2020-01-01T00:00:00Z"),
    ("status", ("status",), "undercollateralized"),
    ("status_reasons", ("status_reasons",), ["all good"]),
    ("ratio", ("ratio_bp",), "99999"),
    ("policy", ("policy", "warning_below_bp"), 10001),
    ("reserves_total", ("reserves", "total_sat"), "1"),
    ("spendable", ("reserves", "spendable_sat"), "1"),
    ("utxo_value", ("reserves", "sources", 0, "utxos", 0, "value_sat"), "123"),
    ("utxo_height", ("reserves", "sources", 0, "utxos", 0, "height"), 1),
    ("wallet_total", ("reserves", "sources", 0, "wallets", 0, "total_sat"), "7"),
    ("valid_at", ("reserves", "valid_at", "height"), 1),
    ("supply_total", ("supply", "total_sat"), "5"),
    ("deployment_supply", ("supply", "deployments", 0, "total_supply"), "1"),
    ("deployment_decimals", ("supply", "deployments", 0, "decimals"), 6),
    ("held", ("supply", "deployments", 0, "held", 0, "balance"), "1"),
    ("window_min", ("window", "min_ratio_bp"), "1"),
    ("flows", ("flows", "inflow_sat"), "77"),
    ("scope", ("scope", "proven"), ["reserve_outputs"]),
    ("basis", ("status_basis", "previous_level"), "warning"),
    ("guardian_threshold", ("signers", "guardians", "threshold"), 1),
    ("eip712_address", ("signers", "engine", "eip712_address"), "0x" + "00" * 20),
    ("signature", ("signatures", 0, "sig"), "00" * 64),
    ("signature_key", ("signatures", 0, "pubkey"), "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"),
]


def _set(doc: dict, path: tuple, value: Any) -> bool:
    node: Any = doc
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    last = path[-1]
    if isinstance(node, dict) and last in node or isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = value
        return True
    return False


def older() -> dict:
    return json.loads((HERE / "older.json").read_text())


def documents(chain: list[dict]) -> list[tuple[str, dict, dict[str, str]]]:
    """(name, envelope, trusted keys) of every stored document checked alone."""
    f1 = json.loads((FIXTURES / "format1.json").read_text())
    f2 = json.loads((FIXTURES / "format2.json").read_text())
    old = older()
    k1 = {f1["chain_key_pubkey"]: "old"}
    out = [("format1.docs_example", f1["docs_example"], k1)]
    out += [(f"format1.chain[{i}]", e, k1) for i, e in enumerate(f1["chain"])]
    out.append(("format2.docs_example", f2["docs_example"], {FORMAT2_KEY: "example-2025"}))
    out += [(f"format3[{i}]", e, old["trusted"]) for i, e in enumerate(old["format3"])]
    engine_a = chain[0]["attestation"]["signers"]["engine"]["pubkey"]
    out += [(f"format4[{i}]", e, {engine_a: "engine-a"}) for i, e in enumerate(chain)]
    return out


def _report(fn: Callable, *args, **kwargs) -> dict:
    return fn(*args, **kwargs).to_dict()


def all_reports(chain: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name, env, trusted in documents(chain):
        out[name] = _report(verify_document, env, trusted_keys=trusted)
        out[name + "+pending"] = _report(verify_document, env, trusted_keys=trusted, allow_pending=True)
        for what, path, value in TAMPER:
            bad = copy.deepcopy(env)
            if _set(bad["attestation"], path, value):
                out[f"{name}~{what}"] = _report(verify_document, bad, trusted_keys=trusted, allow_pending=True)
    engine_a = chain[0]["attestation"]["signers"]["engine"]["pubkey"]
    trusted = {engine_a: "engine-a"}
    out["chain"] = _report(verify_chain, chain, trusted)
    out["chain+pending"] = _report(verify_chain, chain, trusted, allow_pending=True)
    out["chain.gap"] = _report(verify_chain, chain[:3] + chain[4:], trusted, allow_pending=True)
    out["chain.reversed"] = _report(verify_chain, list(reversed(chain)), trusted, allow_pending=True)
    out["chain.tail"] = _report(verify_chain, chain[5:], trusted, allow_pending=True)
    for what, path, value in TAMPER:
        bad = copy.deepcopy(chain)
        if _set(bad[3]["attestation"], path, value):
            out[f"chain~{what}"] = _report(verify_chain, bad, trusted, allow_pending=True)
    old = older()
    f1 = json.loads((FIXTURES / "format1.json").read_text())
    mixed_keys = {**old["trusted"], f1["chain_key_pubkey"]: "old"}
    out["mixed"] = _report(verify_chain, old["mixed"], mixed_keys)
    out["mixed.back"] = _report(verify_chain, old["mixed"][:1] + old["mixed"][-1:] + old["mixed"][1:2], mixed_keys)
    return out


def canonical_hex(envelope: dict) -> str:
    body = {k: v for k, v in envelope["attestation"].items() if k != "signatures"}
    return canonical_bytes(body).hex()
