"""Fixtures of the Bitcoin tests: a funded devnet chain served as Esplora over real HTTP, and mock peers."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chains.bitcoin.esplora.adapter import BitcoinEsploraAdapter, parse_config
from chains.devnet.bitcoin import RegtestChain
from chains.devnet.esplora import serve_chain
from chains.devnet.http import StopServer, serve_in_thread

# ../shared/vectors next to the repository (see its MANIFEST for sources)
VECTORS = Path(__file__).resolve().parents[3] / "shared" / "vectors"


def load_vector(name: str) -> Any:
    return json.loads((VECTORS / name).read_text())


@dataclass
class Devnet:
    """A regtest chain with mature funding coins, and the URL of its Esplora server."""

    chain: RegtestChain
    url: str

    def adapter(self, **overrides: Any) -> BitcoinEsploraAdapter:
        """An adapter over HTTP declaring the three devnet reserve descriptors unless overridden."""
        table: dict[str, Any] = {
            "esplora_url": self.url,
            "network": "regtest",
            "descriptors": list(self.chain.wallets.reserve_descriptors.values()),
            "backoff_seconds": 0.0,
        }
        table.update(overrides)
        return BitcoinEsploraAdapter(parse_config("devnet", table))


@pytest.fixture
def devnet() -> Iterator[Devnet]:
    chain = RegtestChain()
    chain.mine(101)  # two coinbases mature: 100 BTC spendable by the funding wallet
    url, stop = serve_chain(chain)
    try:
        yield Devnet(chain, url)
    finally:
        stop(wait=False)  # it winds down while the next test runs


Handler = Callable[[str, str], Awaitable[tuple[int, bytes]]]


def mock_peer(handler: Handler) -> Callable:
    """A MOCK Esplora peer (no real server misbehaves on demand): `handler(method, path) -> (status, body)`."""

    async def app(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        status, body = await handler(scope["method"], scope["path"])
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
        )
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.fixture
def serve() -> Iterator[Callable[[Callable], str]]:
    """Start ASGI apps on free ports for the test; returns their base URLs; stops them afterwards."""
    stops: list[StopServer] = []

    def start(app: Callable) -> str:
        url, stop = serve_in_thread(app)
        stops.append(stop)
        return url

    yield start
    for stop in stops:
        stop(wait=False)  # they wind down while the next test runs
