"""The benchmarks stay runnable: they import, and the verify bench's chain builds and verifies.

(They are not run here in full: they time things, and tests never assert wall-clock times.)
"""

from __future__ import annotations

import importlib
import os
import re

import pytest

from reserves.attestation.keys import SigningKey
from reserves.attestation.verify import verify_chain


@pytest.mark.parametrize(
    "name",
    [
        "snapshot_bench",
        "providers_bench",
        "verify_bench",
        "aged_scan_bench",
        "scan_bench",
        "monitor_bench",
        "supply_bench",
        "web_bench",
        "history_bench",
        "webhook_bench",
        "ratelimit_bench",
        "price_bench",
    ],
)
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


async def test_webhook_bench_delivers_every_event_once_at_a_tiny_size(capsys):
    """20 events for 2 receivers through the real dispatcher on SQLite (no devnet part): 40 deliveries, each once."""
    from bench import webhook_bench

    result = await webhook_bench.run(webhook_bench.parse(["--events", "20", "--receivers", "2", "--no-devnet"]))
    assert result.expected == 40
    assert (result.received, result.distinct, result.duplicates, result.missing) == (40, 40, 0, 0)
    out = capsys.readouterr().out
    assert "every delivery arrived once: True" in out and "reference: bare httpx POST loop" in out


def test_snapshot_bench_runs_at_a_tiny_size(monkeypatch, capsys):
    """On a devnet and a worker of its own (bench.stack), as `make bench` runs it."""
    from bench import snapshot_bench

    monkeypatch.setattr(snapshot_bench, "ROUNDS", 2)
    monkeypatch.setattr(snapshot_bench, "MEMBER_ROUNDS", 3)
    snapshot_bench.main()
    out = capsys.readouterr().out
    assert "over 2 runs" in out and "reference: one Esplora GET round trip" in out and "ratio: a snapshot costs" in out
    # What tiers and contracts add, next to the same snapshot without them from this run.
    assert "2 tiers, 2 contracts" in out and "same snapshot without tiers (reference, interleaved in this run)" in out
    assert "  with tiers only: median" in out and "  with tiers+contracts: median" in out
    sizes = [int(n) for n in re.findall(r"document (\d+) bytes", out)]
    assert len(sizes) == 3 and sizes[0] < sizes[1] < sizes[2], sizes  # the reference really is without them
    assert re.search(r"tiers member alone \(in-process, 2 contracts over \d+ UTXOs\): median \d+ us warm", out)


def test_providers_bench_runs_at_a_tiny_size(monkeypatch, capsys):
    """With and without the devnet's providers, interleaved on one devnet and worker (bench.stack)."""
    from bench import providers_bench

    monkeypatch.setattr(providers_bench, "ROUNDS", 2)
    monkeypatch.setattr(providers_bench, "MEMBER_ROUNDS", 2)
    providers_bench.main()
    out = capsys.readouterr().out
    assert "snapshot with the devnet's 3 providers (6 legs): median" in out and "over 2 runs" in out
    assert "reference: the same snapshot without providers, interleaved" in out and "ratio: providers add" in out
    assert "their member: build median" in out


def test_aged_scan_bench_runs_at_a_tiny_size(monkeypatch, capsys):
    from bench import aged_scan_bench

    monkeypatch.setattr(aged_scan_bench, "AGE_BLOCKS", 3)
    monkeypatch.setattr(aged_scan_bench, "WARM_READS", 1)
    aged_scan_bench.main()
    out = capsys.readouterr().out
    assert "aged devnet: 3 blocks" in out and "errors: none" in out and "ratio: a warm read costs" in out


@pytest.mark.e2e
def test_web_bench_stack_and_its_reference_serve_the_same_bytes(tmp_path, pg_server):
    """The web benchmark's two servers (wrk, which loads them, is not needed here): `reserves run` on free
    ports publishing attestations on a throwaway PostgreSQL database, the endpoints it measures (the 304
    one answering 304), and the trivial reference app answering exactly what the portal answered."""
    import httpx

    from bench import web_bench
    from tests.pg import fresh_database

    with fresh_database(pg_server) as url:
        stack, base = web_bench.start_stack(tmp_path, 1, url)
        try:
            # The first attestation whose guardians have signed (they co-sign each one just after it is
            # stored): its ETag holds, as the bench's settled one does (not three snapshots' wait).
            rows = web_bench.endpoints(base, web_bench.wait_for_final(base))
            for row in rows:
                headers = dict(h.split(": ", 1) for h in row["headers"])
                r = httpx.get(base + row["path"], headers=headers, timeout=10)
                assert r.status_code == (304 if headers else 200), (row, r.text[:300])
            bodies = web_bench.reference_bodies(base, rows)
            ref, reference = web_bench.start_reference(bodies, 1)
            try:
                for path, (content, ctype) in bodies.items():
                    r = httpx.get(reference + path, timeout=10)
                    assert (r.status_code, r.content, r.headers["content-type"]) == (200, content, ctype)
            finally:
                web_bench.stop(ref)
        finally:
            web_bench.stop(stack)
    assert stack.returncode == 0, (tmp_path / "stack.log").read_text()[-3000:]


def test_price_bench_runs_a_few_rounds_and_keeps_the_honest_sources(capsys):
    from bench import price_bench

    figures = price_bench.main(["--rounds", "5"])
    assert figures["aggregate_seconds"] > 0 and figures["reference_seconds"] > 0
    out = capsys.readouterr().out
    assert "7 kept, status fresh" in out  # the liar, the timeout and the frozen source dropped
