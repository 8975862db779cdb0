"""The benchmarks stay runnable: they import, and the verify bench's chain builds and verifies.

(They are not run here in full: they time things, and tests never assert wall-clock times.)
"""

from __future__ import annotations

import importlib
import os

import pytest

from reserves.attestation.keys import SigningKey
from reserves.attestation.verify import verify_chain


@pytest.mark.parametrize("name", ["snapshot_bench", "verify_bench", "aged_scan_bench", "scan_bench", "monitor_bench", "supply_bench", "web_bench",
                                  "history_bench"])
def test_bench_module_imports_and_has_main(name):
    assert callable(importlib.import_module(f"bench.{name}").main)


def test_verify_bench_chain_builds_with_the_current_format(monkeypatch):
    from bench import verify_bench

    monkeypatch.setattr(verify_bench, "LENGTH", 3)
    key = SigningKey(os.urandom(32))
    chain = verify_bench._chain(key)
    assert verify_chain(chain, {key.pubkey_hex: key.key_id}).ok


def test_history_bench_runs_at_a_tiny_size(monkeypatch, pg_server, capsys):
    from bench import history_bench

    monkeypatch.setattr(history_bench, "ROWS", 3_000)
    monkeypatch.setattr(history_bench, "ROUNDS", 1)
    monkeypatch.setenv("RESERVES_BENCH_DATABASE_URL", pg_server)
    history_bench.main()
    out = capsys.readouterr().out
    for backend in ("postgresql", "sqlite"):
        for window in ("year", "week", "day"):
            assert f"{backend} {window}:" in out
    assert "answers equal: False" not in out
