"""Monitor fixtures: a fresh anvil per test with a ReserveToken, a migrated database on each backend."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from bench.anvil import stop_anvil
from chains.devnet.evm import load_artifact
from chains.evm.config import EvmErc20Config
from reserves.storage.db import open_database
from tests.evm.conftest import _wait_for_port, anvil_binary
from tests.support import free_port, require

CHAIN = 31339
TXID = "ab" * 32


def start_anvil() -> tuple[str, subprocess.Popen]:
    """A real anvil (npm) on a free port, automining; returns (url, process)."""
    binary = anvil_binary()
    require(binary is not None, "anvil not found: run `npm install` at the repo root (or set ANVIL_BIN)")
    port = free_port()
    proc = subprocess.Popen(
        [str(binary), "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(CHAIN), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _wait_for_port(port, proc)
    return f"http://127.0.0.1:{port}", proc


class AnvilToken:
    """Drives a ReserveToken on anvil: mints, transfers, burns, reorgs, a raw storage write."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 10}))
        self.owner, self.alice, self.bob = self.w3.eth.accounts[:3]
        artifact = load_artifact()
        tx = (
            self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
            .constructor("Reserve BTC", "RBTC", 8)
            .transact({"from": self.owner})
        )
        receipt = self.w3.eth.wait_for_transaction_receipt(tx, timeout=10)
        self.deploy_block = receipt["blockNumber"]
        self.token = self.w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
        self.vout = 0

    def config(self, **overrides: Any) -> EvmErc20Config:
        values = dict(
            name="anvil-token",
            chain_id=f"eip155:{CHAIN}",
            rpc_url=self.url,
            contract=self.token.address,
            confirmations=1,
            timeout_seconds=5,
            retries=0,
            start_block=self.deploy_block,
        )
        values.update(overrides)
        return EvmErc20Config(**values)

    def _send(self, call: Any, sender: str) -> int:
        receipt = self.w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}), timeout=10)
        assert receipt["status"] == 1
        return receipt["blockNumber"]

    def mint_call(self, to: str, amount: int) -> Any:
        self.vout += 1
        return self.token.functions.mint(to, amount, bytes.fromhex(TXID), self.vout)

    def mint(self, amount: int, to: str | None = None) -> int:
        return self._send(self.mint_call(to or self.alice, amount), self.owner)

    def transfer(self, amount: int) -> int:
        return self._send(self.token.functions.transfer(self.bob, amount), self.alice)

    def burn(self, amount: int, btc_address: str = "bcrt1qexampleaddress") -> int:
        return self._send(self.token.functions.burn(amount, btc_address), self.alice)

    def mine(self, n: int = 1) -> None:
        self.w3.provider.make_request("anvil_mine", [hex(n)])

    def head(self) -> int:
        return self.w3.eth.block_number

    def supply(self, block: int | str = "latest") -> int:
        return self.token.functions.totalSupply().call(block_identifier=block)

    def reorg(self, depth: int, txs: list[tuple[Any, int]] = ()) -> None:
        """anvil_reorg: replace the newest `depth` blocks; `txs` are (contract call, block offset) to include."""
        objs = []
        for call, offset in txs:
            data = call.build_transaction({"from": self.owner, "gas": 300_000})
            objs.append(
                [{"from": self.owner, "to": self.token.address, "data": data["data"], "gas": hex(300_000)}, offset]
            )
        reply = self.w3.provider.make_request("anvil_reorg", [depth, objs])
        assert "error" not in reply, reply

    def set_total_supply(self, value: int) -> None:
        """Write totalSupply's storage slot directly: a supply change without any event."""
        slot = self._supply_slot()
        reply = self.w3.provider.make_request(
            "anvil_setStorageAt", [self.token.address, hex(slot), "0x" + value.to_bytes(32, "big").hex()]
        )
        assert "error" not in reply, reply

    def _supply_slot(self) -> int:
        current = self.supply()
        for slot in range(10):
            raw = self.w3.eth.get_storage_at(self.token.address, slot)
            if int.from_bytes(raw, "big") == current:
                return slot
        raise AssertionError("totalSupply slot not found")


@pytest.fixture
def anvil_token() -> Iterator[AnvilToken]:
    url, proc = start_anvil()
    try:
        yield AnvilToken(url)
    finally:
        stop_anvil(proc)


@pytest.fixture
async def db(migrated_db_url):  # head: the monitor writes its issues into the event outbox too
    database = open_database(migrated_db_url)
    yield database
    await database.dispose()


@pytest.fixture
def proxied(anvil_token):
    """(AnvilToken, RpcProxyDouble, proxy URL): the test double in front of the real anvil."""
    from tests.monitor.rpc_proxy import serve_proxy

    gen = serve_proxy(anvil_token.url)
    proxy, url = next(gen)
    try:
        yield anvil_token, proxy, url
    finally:
        gen.close()
