"""Fixtures of the reconciliation tests: a regtest chain behind Esplora over real HTTP, a migrated database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from chains.bitcoin.wallets import parse_wallets
from chains.devnet.bitcoin import RegtestChain
from chains.devnet.esplora import serve_chain
from chains.devnet.network import MINT_FEE_BP
from reserves.reconcile import rules
from reserves.reconcile.run import DeploymentInfo, Setup, reconcile_pass
from reserves.storage.db import Database, open_database

DEP = "token-eth"
DEP2 = "token-l2"


@dataclass
class Btc:
    """A regtest chain with mature funding coins, its Esplora URL and the declared reserve wallets."""

    chain: RegtestChain
    url: str

    def reserve(self, index: int, kind: str = "wpkh") -> str:
        return self.chain.wallets.reserve_address(kind, index)

    def pay(self, address: str, value: int) -> tuple[str, int]:
        """A deposit of `value` sat to `address` (in the mempool); (txid, vout of that output)."""
        from chains.devnet.reconcile_cases import _vout_paying

        txid = self.chain.send(address, value, from_wallet=self.chain.wallets.funding)
        return txid, _vout_paying(self.chain, txid, address)

    def setup(self, **overrides) -> Setup:
        tables = [{"name": f"w-{k}", "descriptor": d} for k, d in self.chain.wallets.reserve_descriptors.items()]
        base = Setup(
            deployments={DEP: DeploymentInfo("eip155:1", 8), DEP2: DeploymentInfo("eip155:10", 18)},
            esplora_url=self.url,
            network="regtest",
            wallets=parse_wallets(tables, "regtest", "w"),
            fees=rules.Fees(mint_fee_bp=MINT_FEE_BP),
            min_confirmations=6,
            deadline_blocks=12,
            client_options={"retries": 0, "backoff_seconds": 0.0},
        )
        return replace(base, **overrides)


@pytest.fixture
def btc() -> Iterator[Btc]:
    chain = RegtestChain()
    chain.mine(101)
    url, stop = serve_chain(chain)
    try:
        yield Btc(chain, url)
    finally:
        stop(wait=False)  # it winds down while the next test runs


@pytest.fixture
async def db(migrated_db_url) -> Database:
    database = open_database(migrated_db_url)
    try:
        yield database
    finally:
        await database.dispose()


async def insert(db: Database, rows) -> None:
    async with db.sessions() as session:
        for row in rows:
            session.add(row)
        await session.commit()


async def run(db: Database, setup: Setup, **kw) -> dict:
    return await reconcile_pass(db, setup, **kw)


async def items(db: Database) -> dict:
    """(deployment, block, log) -> stored item."""
    from reserves.reconcile.repository import all_items
    from reserves.reconcile.run import item_key

    async with db.sessions() as session:
        return {item_key(i): i for i in await all_items(session)}
