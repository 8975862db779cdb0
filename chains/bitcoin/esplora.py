"""Esplora HTTP client: retries with backoff, bounded concurrency, every answer validated."""

from __future__ import annotations

import asyncio
import json
import random
import re
from dataclasses import dataclass
from typing import Any

import httpx

from chains.errors import ChainDataError, ChainUnavailable

_HASH = re.compile(r"[0-9a-f]{64}")
# Esplora bodies we read are small; an address UTXO list is capped server-side (electrs refuses
# addresses with too many entries), so anything beyond this is garbage or an attack.
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_SATS = 21_000_000 * 100_000_000


@dataclass(frozen=True)
class EsploraBlock:
    """A block header as Esplora shows it: hash in display (big-endian) hex, `timestamp` in Unix seconds."""

    hash: str
    height: int
    timestamp: int
    previous: str | None


@dataclass(frozen=True)
class EsploraUtxo:
    """One unspent output of an address; `height`/`block_hash` are None while unconfirmed. Value in sats."""

    txid: str
    vout: int
    value_sat: int
    height: int | None
    block_hash: str | None


class EsploraClient:
    """Reads the Esplora API subset the reserve adapter needs (Blockstream / mempool.space format).

    Timeouts, connection errors, 5xx and 429 are retried `retries` times with exponential backoff and
    full jitter; other 4xx are not. At most `concurrency` requests are in flight. Errors carry the
    request path only, never the base URL (it may hold credentials).
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        concurrency: int = 8,
        backoff_seconds: float = 0.5,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)
        self._retries = retries
        self._backoff = backoff_seconds
        self._max_body = max_body_bytes
        self._slots = asyncio.Semaphore(concurrency)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def tip_hash(self) -> str:
        """Hash of the current best block."""
        return _block_hash(await self._get_text("/blocks/tip/hash"), "/blocks/tip/hash")

    async def block_hash_at(self, height: int) -> str:
        """Hash of the best-chain block at `height`."""
        path = f"/block-height/{int(height)}"
        return _block_hash(await self._get_text(path), path)

    async def block(self, block_hash: str) -> EsploraBlock:
        """The block `block_hash`; ChainDataError when the answer is about another block."""
        path = f"/block/{block_hash}"
        data = _expect(await self._get_json(path), dict, path)
        block = EsploraBlock(
            hash=_block_hash(data.get("id"), path + " id"),
            height=_uint(data.get("height"), path + " height"),
            timestamp=_uint(data.get("timestamp"), path + " timestamp"),
            previous=_optional_hash(data.get("previousblockhash"), path + " previousblockhash"),
        )
        if block.hash != block_hash:
            raise ChainDataError(f"{path}: answered with block {block.hash}")
        return block

    async def address_tx_count(self, address: str) -> int:
        """Confirmed plus mempool transactions touching `address` (0 means never used)."""
        path = f"/address/{address}"
        data = _expect(await self._get_json(path), dict, path)
        total = 0
        for section in ("chain_stats", "mempool_stats"):
            stats = _expect(data.get(section), dict, f"{path} {section}")
            total += _uint(stats.get("tx_count"), f"{path} {section}.tx_count")
        return total

    async def address_utxos(self, address: str) -> list[EsploraUtxo]:
        """Unspent outputs paying `address`, confirmed and unconfirmed."""
        path = f"/address/{address}/utxo"
        items = _expect(await self._get_json(path), list, path)
        return [_utxo(item, f"{path}[{i}]") for i, item in enumerate(items)]

    async def _get_text(self, path: str) -> str:
        body = await self._get(path)
        try:
            return body.decode("ascii").strip()
        except UnicodeDecodeError as exc:
            raise ChainDataError(f"{path}: body is not ASCII text") from exc

    async def _get_json(self, path: str) -> Any:
        body = await self._get(path)
        try:
            return json.loads(body)
        except ValueError as exc:
            raise ChainDataError(f"{path}: body is not JSON") from exc
        except RecursionError as exc:
            raise ChainDataError(f"{path}: JSON nested too deeply") from exc

    async def _get(self, path: str) -> bytes:
        """GET `path` with retries; the body, or ChainUnavailable/ChainDataError."""
        attempt = 0
        while True:
            try:
                async with self._slots:
                    return await self._get_once(path)
            except _Retryable as exc:
                if attempt >= self._retries:
                    raise ChainUnavailable(f"{path}: {exc.detail} (after {attempt + 1} attempts)") from (exc.__cause__ or exc)
                await asyncio.sleep(random.uniform(0, self._backoff * 2**attempt))
                attempt += 1

    async def _get_once(self, path: str) -> bytes:
        try:
            async with self._http.stream("GET", path) as response:
                status = response.status_code
                if status >= 500 or status == 429:
                    raise _Retryable(f"HTTP {status}")
                if status in (401, 403):
                    raise ChainUnavailable(f"{path}: HTTP {status} (access refused)")
                if status != 200:
                    raise ChainDataError(f"{path}: HTTP {status}")
                return await self._read_capped(response, path)
        except httpx.TimeoutException as exc:
            raise _Retryable("timed out") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"transport error ({type(exc).__name__})") from exc

    async def _read_capped(self, response: httpx.Response, path: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_body:
                raise ChainDataError(f"{path}: body larger than {self._max_body} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


class _Retryable(Exception):
    """Internal: a failure worth another attempt."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _expect(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind):
        raise ChainDataError(f"{where}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _uint(value: Any, where: str, maximum: int = 2**63 - 1) -> int:
    # bool is an int subclass in Python; JSON true must not pass as 1.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise ChainDataError(f"{where}: expected an integer in [0, {maximum}]")
    return value


def _block_hash(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise ChainDataError(f"{where}: expected 64 lowercase hex chars")
    return value


def _optional_hash(value: Any, where: str) -> str | None:
    return None if value is None else _block_hash(value, where)


def _utxo(item: Any, where: str) -> EsploraUtxo:
    item = _expect(item, dict, where)
    status = _expect(item.get("status"), dict, where + " status")
    confirmed = status.get("confirmed")
    if not isinstance(confirmed, bool):
        raise ChainDataError(f"{where}: status.confirmed must be a boolean")
    return EsploraUtxo(
        txid=_block_hash(item.get("txid"), where + " txid"),
        vout=_uint(item.get("vout"), where + " vout", 2**32 - 1),
        value_sat=_uint(item.get("value"), where + " value", MAX_SATS),
        height=_uint(status.get("block_height"), where + " block_height") if confirmed else None,
        block_hash=_block_hash(status.get("block_hash"), where + " block_hash") if confirmed else None,
    )
