"""A reading belongs to one chain state: tip re-read after the scan, UTXO blocks in the best chain, network on every
read.

The devnet Esplora serves over real HTTP; the servers below subclass it as TEST DOUBLES (no real
server mines, lies or switches backends on demand): each changes one thing and says which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from chains.bitcoin.esplora.adapter import GENESIS, READ_ATTEMPTS
from chains.devnet.bitcoin import RegtestChain
from chains.devnet.esplora import EsploraApp, Reply
from chains.devnet.http import serve_in_thread
from chains.errors import ChainDataError
from tests.bitcoin.conftest import Devnet

BTC = 10**8


class LoggingEsplora(EsploraApp):
    """The devnet Esplora, recording the paths it was asked for."""

    def __init__(self, chain) -> None:
        super().__init__(chain)
        self.paths: list[str] = []

    def handle(self, method: str, path: str, body: bytes | None) -> Reply:
        self.paths.append(path)
        return super().handle(method, path, body)


class TipMovingEsplora(LoggingEsplora):
    """TEST DOUBLE: mines one block right after answering each of the first `moves` UTXO requests."""

    def __init__(self, chain, moves: int) -> None:
        super().__init__(chain)
        self.moves = moves

    def handle(self, method: str, path: str, body: bytes | None) -> Reply:
        reply = super().handle(method, path, body)
        if path.endswith("/utxo") and self.moves > 0:
            self.moves -= 1
            self.chain.mine(1)
        return reply


class LyingHeightEsplora(LoggingEsplora):
    """TEST DOUBLE, a lying server: `/block-height/:h` for heights in `lies` answers another hash,
    as a server whose UTXO index still shows blocks its best chain dropped."""

    def __init__(self, chain, lies: dict[int, str]) -> None:
        super().__init__(chain)
        self.lies = lies

    def handle(self, method: str, path: str, body: bytes | None) -> Reply:
        height = path.removeprefix("/block-height/")
        if height.isdigit() and int(height) in self.lies:
            self.paths.append(path)
            return 200, "text/plain", self.lies[int(height)].encode()
        return super().handle(method, path, body)


class SwitchingNetworkEsplora(LoggingEsplora):
    """TEST DOUBLE: once `switched`, block 0 is testnet's, as a load balancer routing to a testnet backend."""

    switched = False

    def handle(self, method: str, path: str, body: bytes | None) -> Reply:
        if self.switched and path == "/block-height/0":
            self.paths.append(path)
            return 200, "text/plain", GENESIS["test"].encode()
        return super().handle(method, path, body)


@pytest.fixture
def chain() -> RegtestChain:
    """A devnet chain with mature funding coins, not served: each test serves it through its double."""
    chain = RegtestChain()
    chain.mine(101)
    return chain


@pytest.fixture
def served() -> Iterator[Callable[[EsploraApp], Devnet]]:
    """Serve an Esplora app (a double over the devnet chain) over HTTP; stop it after the test."""
    stops = []

    def start(app: EsploraApp) -> Devnet:
        url, stop = serve_in_thread(app)
        stops.append(stop)
        return Devnet(app.chain, url)

    yield start
    for stop in stops:
        stop(wait=False)  # they wind down while the next test runs


def funded(chain: RegtestChain, amounts: tuple[int, ...] = (2 * BTC,), blocks: int = 6) -> None:
    """Pay `amounts` to the `tr` reserve child 0 in one block, then bury it `blocks` deep."""
    wallets = chain.wallets
    for amount in amounts:
        chain.send(wallets.reserve_address("tr", 0), amount, from_wallet=wallets.funding)
    chain.mine(blocks)


async def read(devnet: Devnet, **overrides):
    adapter = devnet.adapter(**overrides)
    try:
        return await adapter.read_reserves()
    finally:
        await adapter.aclose()


async def test_block_mined_during_the_scan_redoes_the_read(chain: RegtestChain, served) -> None:
    funded(chain)
    first_tip = chain.tip_height
    app = TipMovingEsplora(chain, moves=1)
    reading = await read(served(app))
    # Anchored at the tip that held for the whole second scan, not the one read before the block.
    assert (reading.block.height, reading.block.hash) == (first_tip + 1, chain.tip_hash)
    assert [u.confirmations for u in reading.utxos] == [7] and reading.total_sat == 2 * BTC
    assert app.paths.count("/blocks/tip/hash") == 4  # two attempts, each reading the tip twice


async def test_tip_moving_during_every_attempt_is_a_data_error(chain: RegtestChain, served) -> None:
    funded(chain)
    app = TipMovingEsplora(chain, moves=READ_ATTEMPTS)
    with pytest.raises(ChainDataError, match="tip moved during the scan"):
        await read(served(app))
    assert app.paths.count("/blocks/tip/hash") == 2 * READ_ATTEMPTS


async def test_counted_utxo_blocks_are_checked_once_per_height(chain: RegtestChain, served) -> None:
    funded(chain, amounts=(1 * BTC, 2 * BTC), blocks=3)
    funded(chain, amounts=(4 * BTC,), blocks=1)  # at the tip: its hash is known without asking
    app = LoggingEsplora(chain)
    reading = await read(served(app), min_confirmations=1)
    assert reading.total_sat == 7 * BTC
    asked = [p for p in app.paths if p.startswith("/block-height/") and p != "/block-height/0"]
    assert asked == [f"/block-height/{chain.tip_height - 3}"]


async def test_later_reads_ask_one_height_not_one_per_utxo_height(chain: RegtestChain, served) -> None:
    """The check's cost must not grow with the wallet's age: heights below a still-best anchor are known."""
    for _ in range(5):
        funded(chain, amounts=(1 * BTC,), blocks=2)  # five UTXOs at five heights
    app = LoggingEsplora(chain)
    adapter = served(app).adapter(min_confirmations=1)
    try:
        await adapter.read_reserves()

        def heights():
            return [p for p in app.paths if p.startswith("/block-height/") and p != "/block-height/0"]

        assert len(heights()) == 5  # each UTXO height once (none is at the tip)
        app.paths.clear()
        await adapter.read_reserves()  # same tip: the anchor is the tip itself, nothing to ask
        assert heights() == []
        chain.mine(1)
        app.paths.clear()
        await adapter.read_reserves()  # one new block: only the old anchor's height is asked
        assert heights() == [f"/block-height/{chain.tip_height - 1}"]
    finally:
        await adapter.aclose()


async def test_a_replaced_anchor_drops_the_cache(chain: RegtestChain, served) -> None:
    funded(chain, amounts=(1 * BTC,), blocks=6)
    height = chain.tip_height - 5
    app = LyingHeightEsplora(chain, lies={})
    adapter = served(app).adapter()
    try:
        await adapter.read_reserves()
        chain.mine(1)
        app.lies = {height: "ab" * 32, chain.tip_height - 1: "cd" * 32}  # the old anchor is no longer best
        with pytest.raises(ChainDataError, match=f"height {height}"):
            await adapter.read_reserves()
    finally:
        await adapter.aclose()


async def test_utxo_in_a_block_the_server_does_not_call_best_is_a_data_error(chain: RegtestChain, served) -> None:
    funded(chain)
    height = chain.tip_height - 5
    with pytest.raises(ChainDataError, match=f"height {height}.*reorg or inconsistent server"):
        await read(served(LyingHeightEsplora(chain, lies={height: "ab" * 32})))


async def test_too_shallow_utxos_are_not_checked(chain: RegtestChain, served) -> None:
    # Only counted UTXOs are worth a request: a shallow one does not count, whatever its block.
    funded(chain, blocks=2)
    height = chain.tip_height - 1
    reading = await read(served(LyingHeightEsplora(chain, lies={height: "ab" * 32})))
    assert reading.total_sat == 0 and [u.height for u in reading.uncounted] == [height]


async def test_network_is_checked_on_every_read(chain: RegtestChain, served) -> None:
    app = SwitchingNetworkEsplora(chain)
    adapter = served(app).adapter()
    try:
        await adapter.read_reserves()
        app.switched = True
        with pytest.raises(ChainDataError, match="not the regtest genesis"):
            await adapter.read_reserves()
    finally:
        await adapter.aclose()
    assert app.paths.count("/block-height/0") == 2
