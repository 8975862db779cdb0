"""The monitor benchmark stays runnable (tiny size here; tests never assert times) and its artifact fresh."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bench import monitor_bench
from tests.evm.conftest import anvil_binary
from tests.support import require

ROOT = Path(__file__).resolve().parents[2]


def test_emitter_artifact_matches_its_source():
    artifact = json.loads(monitor_bench.ARTIFACT.read_text())
    source = ROOT / "contracts" / "TransferEmitter.sol"
    assert artifact["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest(), (
        "contracts/TransferEmitter.sol changed: run `node contracts/build-TransferEmitter.mjs` and commit"
    )
    assert artifact["compiler"]["version"].startswith("0.8.37+")


def test_emitter_recompiles_to_the_committed_bytecode(tmp_path):
    node = shutil.which("node")
    require(node is not None and (ROOT / "node_modules" / "solc").is_dir(), "node or node_modules/solc missing")
    out = tmp_path / "e.json"
    subprocess.run(
        [node, str(ROOT / "contracts" / "build-TransferEmitter.mjs"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert json.loads(out.read_text())["bytecode"] == json.loads(monitor_bench.ARTIFACT.read_text())["bytecode"]


@pytest.mark.anvil
async def test_bench_replays_a_tiny_chain_exactly(monkeypatch):
    require(anvil_binary() is not None, "anvil not found: run `npm install`")
    monkeypatch.setenv("ANVIL_BIN", str(anvil_binary()))
    figures = await monitor_bench.measure(events=300, per_tx=40)
    # 300 emitted + the constructor's mint; totalSupply unchanged and matched
    assert figures["events"] == 301 and figures["checked"] is True
    assert figures["get_logs"] >= 1 and 0 < figures["rpc"] < figures["wall"]
    assert callable(monitor_bench.main)
