"""contracts/PriceFeed.sol read through web3 as a Chainlink feed: on a real anvil and on the devnet's EVM."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone
from decimal import Decimal as D
from pathlib import Path

import pytest
from web3 import HTTPProvider, Web3

from chains.devnet.evm import DevnetEvm
from chains.devnet.http import serve_in_thread
from chains.devnet.prices import FeedContract
from chains.price.base import PriceDataError
from chains.price.config import parse_feed
from chains.price.feed import AggregatorFeedAdapter
from chains.price.feed_artifact import load_feed_artifact
from reserves.prices.aggregate import PricePolicy, aggregate
from reserves.prices.round import observe_all

ROOT = Path(__file__).resolve().parents[2]


def test_artifact_matches_its_source():
    artifact = load_feed_artifact()
    source = (ROOT / "contracts" / "PriceFeed.sol").read_bytes()
    assert artifact["source_sha256"] == hashlib.sha256(source).hexdigest(), (
        "contracts/PriceFeed.sol changed: run `npm run build:contracts` and commit the artifact"
    )


@pytest.fixture
def anvil_feed(anvil):
    """(w3, feed contract, owner) with a fresh PriceFeed(8 decimals) deployed on anvil."""
    w3 = Web3(HTTPProvider(anvil, request_kwargs={"timeout": 30}))
    artifact = load_feed_artifact()
    owner = w3.eth.accounts[0]
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(8, "BTC / USD").transact({"from": owner}))
    return w3, w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"]), owner


def submit(w3, feed, owner, answer: int, updated_at: int = 0) -> None:
    w3.eth.wait_for_transaction_receipt(feed.functions.submit(answer, updated_at).transact({"from": owner}))


def feed_adapter(rpc: str, address: str) -> AggregatorFeedAdapter:
    return AggregatorFeedAdapter(parse_feed("feed", {"pair": "BTC/USD", "rpc_url": rpc, "contract": address}))


async def test_the_feed_on_anvil_reads_exactly_and_its_failures_get_their_verdicts(anvil, anvil_feed):
    w3, feed, owner = anvil_feed
    adapter = feed_adapter(anvil, feed.address)
    try:
        with pytest.raises(PriceDataError):  # no round yet: latestRoundData() reverts
            await adapter.read_price()
        now = int(time.time())
        submit(w3, feed, owner, 6_701_234_567_891, now)
        reading = await adapter.read_price()
        assert reading.value == D("67012.34567891") and reading.time == datetime.fromtimestamp(now, timezone.utc)
        policy = PricePolicy(min_sources=1)
        submit(w3, feed, owner, 6_701_234_567_891, now - 3600)  # a feed that stopped an hour ago
        (seen,) = await observe_all([adapter], 5)
        assert aggregate("BTC/USD", [seen], policy, datetime.now(timezone.utc)).verdicts[0].reason == "too_old"
        submit(w3, feed, owner, -5, now)
        (seen,) = await observe_all([adapter], 5)
        assert aggregate("BTC/USD", [seen], policy, datetime.now(timezone.utc)).verdicts[0].reason == "negative"
    finally:
        await adapter.aclose()


async def test_an_address_that_is_not_a_feed_is_malformed(anvil, anvil_feed):
    w3, _, owner = anvil_feed
    (seen,) = await observe_all([feed_adapter(anvil, owner)], 5)  # an account: no code, empty answers
    assert seen.failure == "malformed"


async def test_the_devnet_evm_serves_the_feed_to_the_same_adapter():
    evm = DevnetEvm(31350)
    feed = FeedContract(evm)
    url, stop = serve_in_thread(evm.app)
    adapter = feed_adapter(url, feed.address)
    try:
        stamp = int(time.time())
        feed.submit(D("66000.12"), stamp)
        reading = await adapter.read_price()
        assert reading.value == D("66000.12") and int(reading.time.timestamp()) == stamp
    finally:
        await adapter.aclose()
        stop(wait=False)
