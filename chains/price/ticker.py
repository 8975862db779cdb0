"""An exchange ticker read over HTTP (httpx): one bounded GET, parsed by its format (chains.price.formats)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import httpx

from chains.bitcoin.http_body import read_capped
from chains.errors import ChainDataError, ChainUnavailable
from chains.price.base import PriceDataError, PriceReading, PriceTimeout
from chains.price.config import TickerConfig, parse_ticker
from chains.price.formats import FORMATS
from chains.registry import Spec

KIND = "price-ticker"


class HttpTickerAdapter:
    """Reads one exchange's last price of `config.pair`. Never retries: the next round is the retry."""

    kind = KIND

    def __init__(self, config: TickerConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.name = config.name
        self._format = FORMATS[config.format]
        self._client = client or httpx.AsyncClient(
            timeout=config.timeout_seconds, follow_redirects=False, headers={"accept": "application/json"}
        )

    async def read_price(self) -> PriceReading:
        """The ticker's price now. PriceTimeout past `timeout_seconds` (the whole request, a
        dripping body included), ChainUnavailable for transport failures and non-200 answers,
        PriceDataError for a body that is too large, not JSON or not the format's shape."""
        where = f"{self.name} ({self.config.format})"
        try:
            async with asyncio.timeout(self.config.timeout_seconds):
                body = await self._get(where)
        except TimeoutError as exc:
            raise PriceTimeout(f"{where}: no answer within {self.config.timeout_seconds:g} s") from exc
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise PriceDataError(f"{where}: not JSON") from exc
        value, stamped = self._format.parse(doc, where)
        return PriceReading(self.name, KIND, self.config.pair, value, stamped or datetime.now(timezone.utc))

    async def _get(self, where: str) -> bytes:
        path = self._format.path(self.config.symbol)
        params = self._format.query(self.config.symbol)
        try:
            async with self._client.stream("GET", self.config.url + path, params=params) as response:
                if response.status_code != 200:
                    raise ChainUnavailable(f"{where}: HTTP {response.status_code}")
                try:
                    return await read_capped(response, self.config.max_bytes, where)
                except ChainDataError as exc:
                    raise PriceDataError(exc.detail) from exc
        except httpx.TimeoutException as exc:
            raise PriceTimeout(f"{where}: timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            # Not the message: it names the URL, which may carry a key.
            raise ChainUnavailable(f"{where}: {type(exc).__name__}") from exc

    async def aclose(self) -> None:
        await self._client.aclose()


SPEC = Spec(kind=KIND, role="price", parse_config=parse_ticker, build=HttpTickerAdapter)
