"""Supply read of 10 token deployments on real anvil nodes: every RPC concurrent against one after another.

Each deployment is read from 2 endpoints (quorum 2) with 2 declared exclusions, so one read is 16
JSON-RPC calls: per endpoint eth_blockNumber, eth_getBlockByNumber, eth_chainId, totalSupply,
decimals, 2 x balanceOf and the hash re-check. The two endpoints of a deployment are the same anvil
behind two URLs (a query string tells them apart; each has its own HTTP session). The reference is
the sequential read, measured in the same run: the ratio is the figure, not the times.

On loopback a call costs well under a millisecond of network, so the read is bound by our own CPU
time and concurrency gains little; real providers are tens of milliseconds away. The bench
therefore also measures through a latency proxy (a stand-in for the network, not a node: it
forwards bytes to anvil and delays each one-way chunk by half of LATENCY_MS).
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from contextlib import ExitStack
from typing import Any

from web3 import HTTPProvider, Web3

from bench.anvil import start_anvil
from chains.devnet.evm import load_artifact
from chains.evm.adapter import EvmErc20Adapter
from chains.evm.config import parse_config

FIRST_CHAIN_ID = 31400
DEPLOYMENTS = 10
PROCESSES = 3
REPETITIONS = 7
CONFIRMATIONS = 2
ENDPOINTS = 2
LATENCY_MS = 20  # round trip added by the latency proxy: a provider in the same region


class LatencyProxy:
    """TCP forwarder to `target` (host, port) adding `rtt_ms` of round trip, in its own thread and loop.

    Each direction keeps its byte order: chunks are queued with the time they may leave.
    """

    def __init__(self, target: tuple[str, int], rtt_ms: float) -> None:
        self.target, self.delay = target, rtt_ms / 2000
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.port = 0

        async def serve() -> None:
            server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            started.set()
            async with server:
                await server.serve_forever()

        self._task = self.loop.create_task(serve())
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        started.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        finally:
            rest = asyncio.all_tasks(self.loop)
            for task in rest:
                task.cancel()
            if rest:
                self.loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
            self.loop.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True)
        except (asyncio.CancelledError, OSError):  # shutting down, or anvil gone: drop the connection
            writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def send() -> None:
            while True:
                due, data = await queue.get()
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                if not data:
                    break
                writer.write(data)
                await writer.drain()
            writer.close()

        sender = asyncio.ensure_future(send())
        try:
            while data := await reader.read(65536):
                queue.put_nowait((time.monotonic() + self.delay, data))
        finally:
            queue.put_nowait((time.monotonic() + self.delay, b""))
            await sender

    def stop(self) -> None:
        """Close the listener and every forwarded connection; waits for the thread."""
        self.loop.call_soon_threadsafe(self._task.cancel)
        self.thread.join(timeout=5)


def deploy(url: str, chain_id: int, index: int) -> dict[str, Any]:
    """A ReserveToken on the node with minted supply, a treasury and a burn balance; its config table."""
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    owner, customer, treasury = w3.eth.accounts[0], w3.eth.accounts[1], w3.eth.accounts[5]
    burn = "0x000000000000000000000000000000000000dEaD"
    artifact = load_artifact()
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(f"Bench {index}", "BNCH", 8).transact({"from": owner})
    )
    token = w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
    for call, sender in [
        (token.functions.mint(customer, 10**12 + index, index.to_bytes(32, "big"), 0), owner),
        (token.functions.transfer(treasury, 10**9), customer),
        (token.functions.transfer(burn, 10**6), customer),
    ]:
        w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
    w3.provider.make_request("anvil_mine", [hex(CONFIRMATIONS)])
    return {
        "chain_id": f"eip155:{chain_id}",
        "contract": token.address,
        "confirmations": CONFIRMATIONS,
        "rpc_urls": endpoint_urls(url),
        "quorum": ENDPOINTS,
        "expected_decimals": 8,
        "timeout_seconds": 30,
        "retries": 0,
        "exclusions": [
            {"address": treasury, "category": "treasury", "reason": "issuer treasury"},
            {"address": burn, "category": "burn", "reason": "no key exists"},
        ],
    }


def endpoint_urls(url: str) -> list[str]:
    """ENDPOINTS URLs of one node, told apart by a query string (anvil serves only `/`)."""
    return [f"{url}/?endpoint={e}" for e in range(1, ENDPOINTS + 1)]


async def read_all(adapters: list[EvmErc20Adapter], concurrent: bool) -> tuple[float, list[Any]]:
    """Wall time of reading every deployment, and the readings."""
    t = time.perf_counter()
    if concurrent:
        readings = list(await asyncio.gather(*(a.read_supply() for a in adapters)))
    else:
        readings = [await a.read_supply() for a in adapters]
    return time.perf_counter() - t, readings


async def measure(tables: list[dict[str, Any]], repetitions: int) -> dict[str, Any]:
    """Median wall times of both modes (interleaved, after one warm-up each) and RPC calls per round."""
    modes = {
        mode: [EvmErc20Adapter(parse_config(f"bench-{i}", t), concurrent=mode) for i, t in enumerate(tables)]
        for mode in (True, False)
    }
    times: dict[bool, list[float]] = {True: [], False: []}
    try:
        for mode, adapters in modes.items():
            _, readings = await read_all(adapters, mode)  # warm-up: sessions and connections opened
            calls_before = sum(a.rpc_calls for a in adapters)
            reference = readings
        for _ in range(repetitions):
            for mode, adapters in modes.items():
                wall, readings = await read_all(adapters, mode)
                times[mode].append(wall)
                if readings != reference:  # both modes must read the same thing
                    raise SystemExit("supply bench: concurrent and sequential readings differ")
        calls = (sum(a.rpc_calls for a in modes[False]) - calls_before) // repetitions
    finally:
        for adapters in modes.values():
            for adapter in adapters:
                await adapter.aclose()
    concurrent, sequential = statistics.median(times[True]), statistics.median(times[False])
    return {
        "deployments": len(tables),
        "repetitions": repetitions,
        "rpc_calls": calls,
        "concurrent_s": concurrent,
        "sequential_s": sequential,
        "ratio": sequential / concurrent,
    }


def run(
    deployments: int = DEPLOYMENTS,
    processes: int = PROCESSES,
    repetitions: int = REPETITIONS,
    latency_ms: float = LATENCY_MS,
) -> dict[str, Any]:
    """Start `processes` anvil nodes, deploy `deployments` tokens across them, measure on loopback and
    through the latency proxy; returns {"loopback": figures, "latency": figures, ...}."""
    with ExitStack() as stack:
        urls = [start_anvil(stack, FIRST_CHAIN_ID + p) for p in range(processes)]
        tables = [deploy(urls[i % processes], FIRST_CHAIN_ID + i % processes, i) for i in range(deployments)]
        loopback = asyncio.run(measure(tables, repetitions))
        proxied = {}
        for url in urls:
            host, port = url.removeprefix("http://").split(":")
            proxy = LatencyProxy((host, int(port)), latency_ms)
            stack.callback(proxy.stop)
            proxied[url] = f"http://127.0.0.1:{proxy.port}"
        slow = [{**t, "rpc_urls": endpoint_urls(proxied[t["rpc_urls"][0].split("/?")[0]])} for t in tables]
        latency = asyncio.run(measure(slow, repetitions))
    return {"loopback": loopback, "latency": latency, "processes": processes, "latency_ms": latency_ms}


def main(deployments: int = DEPLOYMENTS, processes: int = PROCESSES, repetitions: int = REPETITIONS) -> dict[str, Any]:
    """Run the bench and print its figures."""
    figures = run(deployments, processes, repetitions)
    f = figures["loopback"]
    print(
        f"supply read of {f['deployments']} deployments on {figures['processes']} anvil nodes ({ENDPOINTS} "
        f"endpoints, quorum {ENDPOINTS}, 2 exclusions each): {f['rpc_calls']} JSON-RPC calls per read of all"
    )
    for key, where in [("loopback", "loopback"), ("latency", f"+{figures['latency_ms']:g} ms round trip per call")]:
        f = figures[key]
        print(
            f"{where}: all RPCs concurrent median {f['concurrent_s'] * 1e3:.1f} ms, reference one after another "
            f"median {f['sequential_s'] * 1e3:.1f} ms over {f['repetitions']} runs; ratio {f['ratio']:.1f}x"
        )
    return figures


if __name__ == "__main__":
    main()
