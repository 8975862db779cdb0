"""Reserve scan of 10,000 descriptor-derived addresses on the devnet Esplora over HTTP: where the time goes.

The devnet runs in a child process (its own core and GIL), so this process holds only the
adapter: its CPU time and the wall time with no HTTP request in flight are our code's share.
"""

from __future__ import annotations

import asyncio
import cProfile
import multiprocessing
import pstats
import resource
import time
from typing import Any

import httpx
from embit.descriptor import Descriptor
from embit.networks import NETWORKS
from embit.script import Script
from embit.transaction import Transaction, TransactionInput, TransactionOutput

ADDRESSES = 10_000
WALLETS = 10  # fixed address lists of 1,000 addresses each (one source holds 10,000)
FUNDED_EVERY = 10  # every 10th address gets one output: 1,000 UTXOs
CONCURRENCY = 16
DERIVE_SAMPLE = 2_000


def _serve(conn: Any) -> None:
    """Child process: a devnet chain with the funded addresses, served as Esplora until told to stop."""
    from chains.devnet.bitcoin import RegtestChain, regtest_script
    from chains.devnet.esplora import serve_chain

    chain = RegtestChain()
    chain.mine(101)
    descriptor = chain.wallets.reserve_descriptors["wpkh"]
    addresses = conn.recv()
    funding = chain.wallets.funding
    (coin,) = sorted(chain.spendable(funding), key=lambda c: -c.value)[:1]
    outputs = [TransactionOutput(1_000_000, Script(regtest_script(a))) for a in addresses[::FUNDED_EVERY]]
    change = coin.value - sum(o.value for o in outputs) - 200_000
    outputs.append(TransactionOutput(change, Script(funding.script_pubkey(0))))
    tx = Transaction(version=2, vin=[TransactionInput(bytes.fromhex(coin.txid), coin.vout)], vout=outputs)
    funding.sign(tx, [coin])
    chain.submit(tx)
    chain.mine(6)
    url, stop = serve_chain(chain)
    conn.send((url, descriptor))
    conn.recv()
    stop()


class _Timed(httpx.AsyncBaseTransport):
    """Wraps the client's transport: requests in flight, the union of their busy wall time, latencies."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.in_flight, self.busy, self.latency, self.requests = inner, 0, 0.0, 0.0, 0
        self._since = 0.0

    def _enter(self) -> float:
        now = time.perf_counter()
        if self.in_flight == 0:
            self._since = now
        self.in_flight += 1
        return now

    def _leave(self, started: float) -> None:
        now = time.perf_counter()
        self.in_flight -= 1
        self.latency += now - started
        if self.in_flight == 0:
            self.busy += now - self._since

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = self._enter()
        self.requests += 1
        try:
            response = await self.inner.handle_async_request(request)
            try:
                body = b"".join([chunk async for chunk in response.stream])  # the body is part of the round trip
            finally:
                await response.aclose()  # hands the connection back to the pool
        finally:
            self._leave(started)
        return httpx.Response(response.status_code, headers=response.headers, content=body, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _derive(descriptor: str) -> tuple[list[str], float]:
    desc = Descriptor.from_string(descriptor.split("#")[0])
    params = NETWORKS["regtest"]
    started = time.perf_counter()
    addresses = [desc.derive(i).address(params) for i in range(ADDRESSES)]
    return addresses, time.perf_counter() - started


async def _scan(url: str, wallets: list[dict[str, Any]]) -> tuple[Any, float, float, _Timed]:
    from chains.bitcoin.esplora.adapter import BitcoinEsploraAdapter, parse_config

    table = {
        "esplora_url": url,
        "network": "regtest",
        "wallets": wallets,
        "concurrency": CONCURRENCY,
        "min_confirmations": 1,
        "timeout_seconds": 60.0,
    }
    adapter = BitcoinEsploraAdapter(parse_config("bench", table))
    timed = _Timed(adapter._client._http._transport)
    adapter._client._http._transport = timed
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        reading = await adapter.read_reserves()
    finally:
        await adapter.aclose()
    return reading, time.perf_counter() - wall, time.process_time() - cpu, timed


def _report(title: str, reading: Any, wall: float, cpu: float, timed: _Timed) -> None:
    outside = wall - timed.busy
    print(
        f"{title}: {reading.addresses_scanned} addresses, {len(reading.utxos)} UTXOs, {timed.requests} HTTP requests "
        f"in {wall:.2f} s (concurrency {CONCURRENCY})"
    )
    print(
        f"  {reading.addresses_scanned / wall:,.0f} addresses/s, {len(reading.utxos) / wall:,.0f} UTXOs/s, "
        f"{timed.requests / wall:,.0f} requests/s, "
        f"mean round trip {timed.latency / max(1, timed.requests) * 1e3:.1f} ms"
    )
    print(
        f"  wall time with no request in flight (our code alone): {outside:.2f} s = {outside / wall:.1%} of the scan; "
        f"this process's CPU: {cpu:.2f} s ({cpu / wall:.0%} of wall, HTTP client included)"
    )


# Where CPU time goes, by the file a function lives in (cProfile own time; its overhead inflates all).
_GROUPS = [
    ("our code (chains/)", "/chains/"),
    ("embit", "/embit/"),
    ("httpx/httpcore/h11", "/http"),
    ("h11", "/h11/"),
    ("asyncio and sockets", "/asyncio/"),
    ("json", "/json/"),
]


def _profile(url: str, wallets: list[dict[str, Any]]) -> None:
    profile = cProfile.Profile()
    profile.enable()
    asyncio.run(_scan(url, wallets))
    profile.disable()
    totals: dict[str, float] = {}
    for (path, _, _), (_, _, own, _, _) in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]  # set at run time, not in the stubs
        group = next((name for name, part in _GROUPS if part in path), "other (stdlib, builtins)")
        totals[group] = totals.get(group, 0.0) + own
    whole = sum(totals.values())
    shares = ", ".join(f"{name} {t / whole:.0%}" for name, t in sorted(totals.items(), key=lambda kv: -kv[1]))
    print(f"  CPU by package under cProfile (address lists): {shares}")


def main() -> None:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    child.close()  # a child that dies then shows as EOFError here instead of a hang
    try:
        from chains.devnet.btc_wallet import DevnetWallets

        descriptor = DevnetWallets().reserve_descriptors["wpkh"]
        addresses, derive_seconds = _derive(descriptor)
        parent.send(addresses)
        if not parent.poll(120):
            raise RuntimeError("devnet child did not start within 120 s")
        url, _ = parent.recv()
        print(
            f"embit derivation: {ADDRESSES / derive_seconds:,.0f} wpkh addresses/s "
            f"({ADDRESSES} in {derive_seconds:.2f} s)"
        )
        size = ADDRESSES // WALLETS
        lists = [{"name": f"list-{i}", "addresses": addresses[i * size : (i + 1) * size]} for i in range(WALLETS)]
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _report("address lists", *asyncio.run(_scan(url, lists)))
        _profile(url, lists)
        ranged = [{"name": "ranged", "descriptor": descriptor, "gap_limit": 20}]
        _report("ranged descriptor, gap limit 20", *asyncio.run(_scan(url, ranged)))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"peak RSS of this process: {rss / 1024:.0f} MiB ({(rss - rss_before) / 1024:+.0f} MiB during the scans)")
        parent.send("stop")
    finally:
        server.join(timeout=15)
        if server.is_alive():
            server.terminate()


if __name__ == "__main__":
    main()
