"""Event replay speed: 200,000 Transfer logs generated on a real anvil, replayed by the monitor into SQLite.

Reference measured in the same run: one bare eth_getLogs pass over the same blocks (same ranges'
worth of JSON, no checks, no storage), so the figure that matters is the ratio, not the seconds.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from web3 import HTTPProvider, Web3

from bench.anvil import start_anvil
from chains.evm.config import EvmErc20Config
from chains.evm.logs import EvmLogReader
from reserves.jobs.monitor import monitor_deployment
from reserves.storage.db import open_database
from reserves.storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
ARTIFACT = ROOT / "contracts" / "TransferEmitter.json"
EVENTS = 200_000
PER_TX = 500
SUPPLY = 21 * 10**14
CHAIN_ID = 31341


def generate(url: str, events: int, per_tx: int) -> tuple[str, int, int]:
    """Deploy the emitter and emit `events` Transfer logs; returns (contract, deploy block, last block)."""
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 60}))
    artifact = json.loads(ARTIFACT.read_text())
    sender = w3.eth.accounts[0]
    tx = (
        w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        .constructor(SUPPLY)
        .transact({"from": sender})
    )
    receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=30)
    emitter = w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
    left, last = events, receipt["blockNumber"]
    while left > 0:
        n = min(per_tx, left)
        h = emitter.functions.emitTransfers(n).transact({"from": sender, "gas": 4_000 * n + 100_000})
        last = w3.eth.wait_for_transaction_receipt(h, timeout=30)["blockNumber"]
        left -= n
    w3.provider.make_request("anvil_mine", [hex(2)])
    return receipt["contractAddress"], receipt["blockNumber"], last


async def bare_fetch(url: str, contract: str, start: int, end: int, step: int) -> float:
    """Reference: fetch and JSON-decode every log of [start, end] in `step`-block ranges, nothing else."""
    t = time.perf_counter()
    async with httpx.AsyncClient(timeout=120) as client:
        for lo in range(start, end + 1, step):
            body = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "eth_getLogs",
                "params": [{"address": contract, "fromBlock": hex(lo), "toBlock": hex(min(end, lo + step - 1))}],
            }
            (await client.post(url, json=body)).json()
    return time.perf_counter() - t


async def replay(url: str, contract: str, start: int, db_dir: Path) -> dict[str, Any]:
    """Replay everything with the monitor into a fresh SQLite file; returns the figures."""
    db_url = f"sqlite:///{db_dir / 'bench.db'}"
    upgrade(db_url)
    db = open_database(db_url)
    config = EvmErc20Config(
        name="bench",
        chain_id=f"eip155:{CHAIN_ID}",
        rpc_url=url,
        contract=contract,
        confirmations=1,
        timeout_seconds=120,
        retries=0,
        start_block=start,
        logs_max_range=2000,
    )
    reader = EvmLogReader(config)
    try:
        t = time.perf_counter()
        report = await monitor_deployment(db, config, max_ranges=None, seconds=None, reader=reader)
        wall = time.perf_counter() - t
    finally:
        await reader.aclose()
        await db.dispose()
    if report is None:
        raise SystemExit("the monitor stopped on an error (see the log)")
    return {
        "wall": wall,
        "rpc": reader.stats.seconds,
        "events": report.events,
        "checked": report.checked,
        "get_logs": reader.stats.calls["eth_getLogs"],
        "calls": sum(reader.stats.calls.values()),
        "range_sizes": report.range_sizes,
    }


async def measure(events: int = EVENTS, per_tx: int = PER_TX) -> dict[str, Any]:
    """Generate the chain, replay it, and fetch it bare once; all figures in one dict."""
    with ExitStack() as stack:
        url = start_anvil(stack, CHAIN_ID, "--gas-limit", "300000000")
        t = time.perf_counter()
        contract, start, last = await asyncio.to_thread(generate, url, events, per_tx)
        gen = time.perf_counter() - t
        with tempfile.TemporaryDirectory(prefix="monitor-bench-") as tmp:
            figures = await replay(url, contract, start, Path(tmp))
        sizes = figures["range_sizes"]
        figures["bare"] = await bare_fetch(url, contract, start, last, max(sizes) if sizes else 1)
        figures.update(generate_seconds=gen, blocks=last - start + 1)
        return figures


def main() -> None:
    f = asyncio.run(measure())
    ours = f["wall"] - f["rpc"]
    print(
        f"monitor replay ({f['events']:,} logs over {f['blocks']} blocks, anvil -> SQLite; generated in "
        f"{f['generate_seconds']:.1f} s): {f['wall']:.2f} s wall, {f['events'] / f['wall']:,.0f} events/s; "
        f"in RPC calls {f['rpc']:.2f} s ({f['rpc'] / f['wall']:.0%}), in our code {ours:.2f} s "
        f"({ours / f['wall']:.0%}); {f['get_logs']} eth_getLogs of {f['calls']} calls, final range "
        f"{f['range_sizes'][-1] if f['range_sizes'] else 0} blocks; supply check "
        f"{'matched' if f['checked'] else 'FAILED'}; reference bare eth_getLogs pass {f['bare']:.2f} s "
        f"(replay = {f['wall'] / f['bare']:.1f}x the bare fetch)"
    )


if __name__ == "__main__":
    main()
