"""Esplora HTTP client: retries with backoff, bounded concurrency, every answer validated."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import httpx

from chains.bitcoin.esplora import tx as parse
from chains.bitcoin.esplora.tx import EsploraOutput, EsploraTx, MerkleProof, Outspend, TxStatus, raw_txid, sha256d
from chains.bitcoin.http_body import read_capped
from chains.errors import ChainDataError, ChainUnavailable
from chains.hexes import HEADER_HEX, is_hex64
from chains.retry import Backoff, Retryable, retrying

__all__ = [
    "EsploraBlock",
    "EsploraClient",
    "EsploraOutput",
    "EsploraTx",
    "EsploraUtxo",
    "MerkleProof",
    "Outspend",
    "TxStatus",
]

# Esplora pages an address's confirmed history 25 transactions at a time (API.md).
ADDRESS_TXS_PAGE = 25
# More history than this for one reserve address is refused rather than paged for ever.
DEFAULT_MAX_ADDRESS_TXS = 10_000
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
    median_time: int | None = None  # Esplora's `mediantime` (median time past), when served


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

    Timeouts, connection errors, 5xx and 429 are retried `retries` times, waiting as `chains.retry.Backoff`
    says from a first step of `backoff_seconds`; other 4xx are not. At most `concurrency` requests are in flight.
    Errors carry the
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
        self._backoff = Backoff(backoff_seconds)
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
            median_time=_optional_uint(data.get("mediantime"), path + " mediantime", 2**32 - 1),
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

    async def transaction(self, txid: str) -> EsploraTx:
        """The transaction `txid` with its outputs and confirmation status."""
        path = f"/tx/{_hash_arg(txid)}"
        tx = parse.transaction(await self._get_json(path), path)
        if tx.txid != txid:
            raise ChainDataError(f"{path}: answered with transaction {tx.txid}")
        return tx

    async def tx_status(self, txid: str) -> TxStatus:
        """Confirmation status of `txid`."""
        path = f"/tx/{_hash_arg(txid)}/status"
        return parse.status(await self._get_json(path), path)

    async def tx_hex(self, txid: str) -> str:
        """Serialized transaction `txid` (witnesses included) as lowercase hex; checked to hash to `txid`."""
        path = f"/tx/{_hash_arg(txid)}/hex"
        text = parse.hex_bytes(await self._get_text(path), path, parse.MAX_TX_BYTES)
        try:
            actual = raw_txid(bytes.fromhex(text))
        except ChainDataError as exc:
            raise ChainDataError(f"{path}: {exc.detail}") from exc
        if actual != txid:
            raise ChainDataError(f"{path}: bytes hash to {actual}, not the transaction asked for")
        return text

    async def merkle_proof(self, txid: str) -> MerkleProof:
        """Electrum-format merkle branch of confirmed `txid` (checked by the SPV verifier, not here)."""
        path = f"/tx/{_hash_arg(txid)}/merkle-proof"
        return parse.merkle_proof(await self._get_json(path), path)

    async def outspend(self, txid: str, vout: int) -> Outspend:
        """Whether output `vout` of `txid` is spent, and by which transaction (confirmed or not)."""
        path = f"/tx/{_hash_arg(txid)}/outspend/{parse.uint(vout, 'vout', 2**32 - 1)}"
        return parse.outspend(await self._get_json(path), path)

    async def outspends(self, txid: str, outputs: int | None = None) -> list[Outspend]:
        """Spending status of every output of `txid`, in output order; `outputs`, when given, must match."""
        path = f"/tx/{_hash_arg(txid)}/outspends"
        items = _expect(await self._get_json(path), list, path)
        if outputs is not None and len(items) != outputs:
            raise ChainDataError(f"{path}: {len(items)} entries for a transaction of {outputs} outputs")
        if len(items) > parse.MAX_TX_IO:
            raise ChainDataError(f"{path}: more than {parse.MAX_TX_IO} entries")
        return [parse.outspend(item, f"{path}[{i}]") for i, item in enumerate(items)]

    async def block_header(self, block_hash: str) -> str:
        """The 80-byte header of `block_hash` as lowercase hex; checked to hash to `block_hash`."""
        path = f"/block/{_hash_arg(block_hash)}/header"
        text = await self._get_text(path)
        if not HEADER_HEX.fullmatch(text):
            raise ChainDataError(f"{path}: expected 160 lowercase hex chars")
        if sha256d(bytes.fromhex(text))[::-1].hex() != block_hash:
            raise ChainDataError(f"{path}: header does not hash to the block asked for")
        return text

    async def address_txs(self, address: str, *, max_txs: int = DEFAULT_MAX_ADDRESS_TXS) -> list[EsploraTx]:
        """Every transaction touching `address`: mempool ones first, then confirmed ones newest first.

        Pages `/address/:a/txs` then `/address/:a/txs/chain/:last_seen_txid` until a page holds fewer
        than 25 confirmed transactions. A server that repeats a transaction, returns confirmed ones out
        of order (height rising) or pages past `max_txs` gets ChainDataError.
        """
        path = f"/address/{address}/txs"
        found = _tx_list(await self._get_json(path), path)
        mempool = [tx for tx in found if not tx.status.confirmed]
        chain = [tx for tx in found if tx.status.confirmed]
        if found[: len(mempool)] != mempool:
            raise ChainDataError(f"{path}: mempool transactions must come before confirmed ones")
        page = chain
        while len(page) >= ADDRESS_TXS_PAGE:
            if len(mempool) + len(chain) > max_txs:
                raise ChainDataError(f"{path}: more than {max_txs} transactions for one address")
            next_path = f"/address/{address}/txs/chain/{chain[-1].txid}"
            page = _tx_list(await self._get_json(next_path), next_path)
            if any(not tx.status.confirmed for tx in page):
                raise ChainDataError(f"{next_path}: an unconfirmed transaction in confirmed history")
            chain += page
        _check_history(path, mempool + chain, max_txs)
        return mempool + chain

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

        async def once() -> bytes:
            async with self._slots:  # a slot per attempt: nobody waits on our backoff
                return await self._get_once(path)

        return await retrying(
            once,
            retries=self._retries,
            backoff=self._backoff,
            give_up=lambda detail, attempts: ChainUnavailable(f"{path}: {detail} (after {attempts} attempts)"),
        )

    async def _get_once(self, path: str) -> bytes:
        try:
            async with self._http.stream("GET", path) as response:
                status = response.status_code
                if status >= 500 or status == 429:
                    raise Retryable(f"HTTP {status}")
                if status in (401, 403):
                    raise ChainUnavailable(f"{path}: HTTP {status} (access refused)")
                if status != 200:
                    raise ChainDataError(f"{path}: HTTP {status}")
                return await read_capped(response, self._max_body, path)
        except httpx.TimeoutException as exc:
            raise Retryable("timed out") from exc
        except httpx.TransportError as exc:
            raise Retryable(f"transport error ({type(exc).__name__})") from exc


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
    if not is_hex64(value):
        raise ChainDataError(f"{where}: expected 64 lowercase hex chars")
    return value


def _optional_hash(value: Any, where: str) -> str | None:
    return None if value is None else _block_hash(value, where)


def _optional_uint(value: Any, where: str, maximum: int) -> int | None:
    return None if value is None else _uint(value, where, maximum)


def _hash_arg(value: str) -> str:
    """A txid or block hash argument, checked before it becomes part of a URL path."""
    if not is_hex64(value):
        raise ChainDataError("expected a txid or block hash of 64 lowercase hex chars")
    return value


def _tx_list(value: Any, where: str) -> list[EsploraTx]:
    items = _expect(value, list, where)
    # Esplora answers at most 50 mempool + 25 confirmed transactions per page.
    if len(items) > 50 + ADDRESS_TXS_PAGE:
        raise ChainDataError(f"{where}: more than {50 + ADDRESS_TXS_PAGE} transactions in one page")
    return [parse.transaction(item, f"{where}[{i}]") for i, item in enumerate(items)]


def _check_history(where: str, txs: list[EsploraTx], max_txs: int) -> None:
    if len(txs) > max_txs:
        raise ChainDataError(f"{where}: more than {max_txs} transactions for one address")
    if len({tx.txid for tx in txs}) != len(txs):
        raise ChainDataError(f"{where}: a transaction listed twice (paging loop or lying server)")
    heights = [tx.status.height for tx in txs if tx.status.confirmed]
    if any(a < b for a, b in zip(heights, heights[1:])):  # type: ignore[operator]  # a confirmed status has a height
        raise ChainDataError(f"{where}: confirmed history is not newest first")


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
