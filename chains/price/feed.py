"""A Chainlink-compatible price feed (`AggregatorV3Interface`) read through web3 at the newest block.

`latestRoundData()` returns (roundId, answer, startedAt, updatedAt, answeredInRound); the price is
`answer / 10**decimals()` and its time `updatedAt`. A round that was never answered
(`updatedAt == 0`) or is answered by an older round (`answeredInRound < roundId`) is refused as
Chainlink's own consumers refuse it. contracts/PriceFeed.sol is the devnet's and the tests' feed.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import aiohttp
from web3 import AsyncWeb3
from web3.exceptions import BadFunctionCallOutput, ContractLogicError, Web3Exception

from chains.errors import ChainUnavailable
from chains.evm.provider import RpcProvider
from chains.price.base import MAX_FRACTION_DIGITS, PriceDataError, PriceReading, PriceTimeout, scaled
from chains.price.config import FeedConfig, parse_feed
from chains.registry import Spec

KIND = "price-feed"
# The two views of AggregatorV3Interface this adapter calls.
FEED_ABI = [
    {
        "type": "function",
        "name": "decimals",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "uint8"}],
    },
    {
        "type": "function",
        "name": "latestRoundData",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [
            {"name": "roundId", "type": "uint80"},
            {"name": "answer", "type": "int256"},
            {"name": "startedAt", "type": "uint256"},
            {"name": "updatedAt", "type": "uint256"},
            {"name": "answeredInRound", "type": "uint80"},
        ],
    },
]
MAX_TIME = 2**40  # seconds: far beyond any real timestamp, within what datetime holds


class AggregatorFeedAdapter:
    """Reads one feed contract; both calls are made at the same block."""

    kind = KIND

    def __init__(self, config: FeedConfig) -> None:
        self.config = config
        self.name = config.name
        self._w3 = AsyncWeb3(
            RpcProvider(config.rpc_url, request_kwargs={"timeout": aiohttp.ClientTimeout(total=config.timeout_seconds)})
        )
        self._feed = self._w3.eth.contract(address=AsyncWeb3.to_checksum_address(config.contract), abi=FEED_ABI)

    async def read_price(self) -> PriceReading:
        """The feed's latest answer. PriceTimeout past `timeout_seconds`, ChainUnavailable when
        the node fails, PriceDataError when the contract answers garbage or an unanswered round."""
        where = f"{self.name} (feed {self.config.contract})"
        try:
            async with asyncio.timeout(self.config.timeout_seconds):
                block = await self._w3.eth.block_number
                decimals = await self._feed.functions.decimals().call(block_identifier=block)
                round_id, answer, _, updated, answered_in = await self._feed.functions.latestRoundData().call(
                    block_identifier=block
                )
        except TimeoutError as exc:
            raise PriceTimeout(f"{where}: no answer within {self.config.timeout_seconds:g} s") from exc
        except (BadFunctionCallOutput, ContractLogicError) as exc:
            raise PriceDataError(f"{where}: not an AggregatorV3Interface ({type(exc).__name__})") from exc
        except (Web3Exception, OSError, aiohttp.ClientError, ValueError) as exc:
            # Not the message: aiohttp's repeat the URL, which may carry a key.
            raise ChainUnavailable(f"{where}: {type(exc).__name__}") from exc
        if not 0 <= decimals <= MAX_FRACTION_DIGITS:
            raise PriceDataError(f"{where}: decimals {decimals} out of range")
        if not 0 < updated < MAX_TIME or answered_in < round_id:
            raise PriceDataError(f"{where}: round {round_id} was not answered")
        time = datetime.fromtimestamp(updated, timezone.utc)
        return PriceReading(self.name, KIND, self.config.pair, scaled(answer, decimals), time)

    async def aclose(self) -> None:
        provider = self._w3.provider
        if hasattr(provider, "disconnect"):
            await provider.disconnect()


SPEC = Spec(kind=KIND, role="price", parse_config=parse_feed, build=AggregatorFeedAdapter)
