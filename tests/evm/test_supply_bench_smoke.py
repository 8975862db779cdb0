"""The supply bench stays runnable: at a tiny size it starts anvil, reads both ways and reports its figures.

(Times are not asserted: tests never judge wall-clock speed.)
"""

from __future__ import annotations

import pytest

from tests.evm.conftest import anvil_binary
from tests.support import require

pytestmark = pytest.mark.anvil


def test_supply_bench_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    require(anvil_binary() is not None, "anvil not found: run `npm install` at the repo root (or set ANVIL_BIN)")
    from bench import supply_bench

    figures = supply_bench.main(deployments=2, processes=1, repetitions=1)
    for mode in ("loopback", "latency"):
        f = figures[mode]
        # per deployment and endpoint: 3 to pick the block, 4 eth_calls (2 held), 1 hash re-check
        assert f["deployments"] == 2 and f["rpc_calls"] == 2 * supply_bench.ENDPOINTS * 8
        assert f["concurrent_s"] > 0 and f["sequential_s"] > 0 and f["ratio"] > 0
    out = capsys.readouterr().out
    assert "32 JSON-RPC calls" in out and "ratio" in out
