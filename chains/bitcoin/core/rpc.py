"""Bitcoin Core JSON-RPC client: basic or cookie auth, retries with jittered backoff, every answer validated."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from decimal import Decimal, Inexact, localcontext
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from chains.bitcoin.http_body import read_capped
from chains.errors import ChainConfigError, ChainDataError, ChainUnavailable
from chains.hexes import HEX_BYTES, is_hex64
from chains.retry import Backoff, Retryable, retrying

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_SATS = 21_000_000 * 100_000_000
SATS_PER_BTC = Decimal(100_000_000)
MAX_COOKIE_BYTES = 1024
# Core's codes (src/rpc/protocol.h) that mean "the node cannot answer now", not "bad data".
_UNAVAILABLE_CODES = {
    -28: "node is warming up",  # RPC_IN_WARMUP
    -9: "node is not connected",  # RPC_CLIENT_NOT_CONNECTED
    -10: "node is still downloading blocks",  # RPC_CLIENT_IN_INITIAL_DOWNLOAD
    -32601: "method not found (node too old, or the method is not whitelisted)",
}


class CoreRpcError(ChainDataError):
    """The node answered a call with an RPC error object; `rpc_code` is Core's code (e.g. -8, -5)."""

    def __init__(self, detail: str, rpc_code: int) -> None:
        super().__init__(detail)
        self.rpc_code = rpc_code


class CoreRpcUnavailable(ChainUnavailable):
    """The node answered with an error meaning it cannot serve the call now (warm-up, busy, method off)."""

    def __init__(self, detail: str, rpc_code: int) -> None:
        super().__init__(detail)
        self.rpc_code = rpc_code


@dataclass(frozen=True)
class CoreHeader:
    """`getblockheader` (verbose): hash in display hex; `time`/`median_time` in Unix seconds.

    `confirmations` is -1 when the block is not on the node's best chain.
    """

    hash: str
    height: int
    time: int
    median_time: int
    previous: str | None
    confirmations: int


@dataclass(frozen=True)
class ScanUnspent:
    """One entry of `scantxoutset`'s `unspents`: value in sats; `block_hash`/`confirmations` only
    from nodes that report them (v26+)."""

    txid: str
    vout: int
    script_pubkey: bytes
    value_sat: int
    coinbase: bool
    height: int
    block_hash: str | None
    confirmations: int | None


@dataclass(frozen=True)
class ScanResult:
    """A completed `scantxoutset start`: the UTXO set as of block `best_block` at `height`."""

    best_block: str
    height: int
    unspents: tuple[ScanUnspent, ...]


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """`url` without its `user:password@` part, and that pair (percent-decoded) when present."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ChainConfigError("RPC URL must be an http(s) URL with a host")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    auth = None
    if parts.username is not None:
        auth = (unquote(parts.username), unquote(parts.password or ""))
    return urlunsplit((parts.scheme, netloc, parts.path or "/", "", "")), auth


class CoreRpcClient:
    """Calls a Bitcoin Core node over JSON-RPC ("1.0" envelope, which every version accepts).

    Credentials come from the URL (`http://user:pass@host:8332`), from `auth`, or from Core's cookie
    file (re-read after a 401: the node writes a new cookie on every start). They are sent as HTTP
    basic auth and never appear in errors or logs: errors name the RPC method only.
    Timeouts, connection errors and 5xx without an RPC error body are retried `retries` times, waiting
    as `chains.retry.Backoff` says from a first step of `backoff_seconds`; an RPC error object is an
    answer and is never retried.
    """

    def __init__(
        self,
        url: str,
        *,
        auth: tuple[str, str] | None = None,
        cookie_path: str | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        backoff_seconds: float = 0.5,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        base, url_auth = split_credentials(url)
        self._auth = auth or url_auth
        self._cookie = Path(cookie_path) if cookie_path else None
        self._http = httpx.AsyncClient(base_url=base, timeout=timeout)
        self._url = base
        self._timeout = timeout
        self._retries = retries
        self._backoff = Backoff(backoff_seconds)
        self._max_body = max_body_bytes
        self._ids = itertools.count(1)

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- typed calls ---------------------------------------------------------------------------

    async def best_block_hash(self) -> str:
        return _hash(await self.call("getbestblockhash"), "getbestblockhash")

    async def block_hash_at(self, height: int) -> str:
        """Best-chain block hash at `height` (`getblockhash`)."""
        return _hash(await self.call("getblockhash", [int(height)]), "getblockhash")

    async def block_header(self, block_hash: str) -> CoreHeader:
        """`getblockheader <hash> true`; ChainDataError when the answer is about another block."""
        where = "getblockheader"
        data = _expect(await self.call(where, [block_hash, True]), dict, where)
        height = _uint(data.get("height"), where + " height")
        header = CoreHeader(
            hash=_hash(data.get("hash"), where + " hash"),
            height=height,
            time=_uint(data.get("time"), where + " time", 2**32 - 1),
            median_time=_uint(data.get("mediantime"), where + " mediantime", 2**32 - 1),
            previous=None if height == 0 else _hash(data.get("previousblockhash"), where + " previousblockhash"),
            confirmations=_int(data.get("confirmations"), where + " confirmations", -1),
        )
        if header.hash != block_hash:
            raise ChainDataError(f"{where}: answered with block {header.hash}")
        return header

    async def scan(self, scan_objects: list[Any], timeout: float) -> ScanResult:
        """`scantxoutset start` over `scan_objects` (strings or {"desc", "range"}), never retried.

        A scan walks the whole UTXO set (minutes on mainnet) and the node runs one at a time: a
        retry would only meet our own scan still running. On a timeout the scan is aborted so that
        the node is free for the next read.
        """
        try:
            raw = await self.call("scantxoutset", ["start", scan_objects], retry=False, timeout=timeout)
        except ChainUnavailable:
            await self._abort_scan()
            raise
        return _scan_result(raw)

    async def spent_in_mempool(self, outpoints: list[tuple[str, int]]) -> set[tuple[str, int]]:
        """The outpoints a mempool transaction spends (`gettxspendingprevout`, Core 24+)."""
        if not outpoints:
            return set()
        where = "gettxspendingprevout"
        asked = [{"txid": txid, "vout": vout} for txid, vout in outpoints]
        items = _expect(await self.call(where, [asked]), list, where)
        if len(items) != len(asked):
            raise ChainDataError(f"{where}: {len(items)} answers for {len(asked)} outpoints")
        spent = set()
        for i, (item, point) in enumerate(zip(items, outpoints)):
            item = _expect(item, dict, f"{where}[{i}]")
            if (item.get("txid"), item.get("vout")) != point:
                raise ChainDataError(f"{where}[{i}]: answers about another outpoint")
            if "spendingtxid" in item:
                _hash(item["spendingtxid"], f"{where}[{i}] spendingtxid")
                spent.add(point)
        return spent

    async def tx_out_proof(self, txids: list[str], block_hash: str | None = None) -> bytes:
        """`gettxoutproof`: a serialized BIP-37 merkle block (header + partial merkle tree)."""
        params: list[Any] = [list(txids)] + ([block_hash] if block_hash else [])
        raw = _hex(await self.call("gettxoutproof", params), "gettxoutproof")
        if len(raw) < 80 + 4 + 1:
            raise ChainDataError("gettxoutproof: shorter than a header and a transaction count")
        return raw

    async def raw_transaction(self, txid: str, block_hash: str | None = None) -> bytes:
        """`getrawtransaction <txid> false [blockhash]`: the serialized transaction."""
        params: list[Any] = [txid, False] + ([block_hash] if block_hash else [])
        raw = _hex(await self.call("getrawtransaction", params), "getrawtransaction")
        if len(raw) < 60:
            raise ChainDataError("getrawtransaction: too short to be a transaction")
        return raw

    async def _abort_scan(self) -> None:
        try:
            await self.call("scantxoutset", ["abort"], retry=False)
        except Exception:  # noqa: BLE001 - best effort: the read already failed for the reason being raised
            pass

    # --- transport ---------------------------------------------------------------------------

    async def call(
        self, method: str, params: list[Any] | None = None, *, retry: bool = True, timeout: float | None = None
    ) -> Any:
        """The `result` of `method(params)`; CoreRpcError / CoreRpcUnavailable for RPC errors,
        ChainUnavailable when the node cannot be reached, ChainDataError for garbage."""
        return await retrying(
            lambda: self._call_once(method, params or [], timeout),
            retries=self._retries if retry else 0,
            backoff=self._backoff,
            give_up=lambda detail, attempts: ChainUnavailable(f"{method}: {detail} (after {attempts} attempts)"),
        )

    async def _call_once(self, method: str, params: list[Any], timeout: float | None) -> Any:
        request_id = next(self._ids)
        body = json.dumps({"jsonrpc": "1.0", "id": request_id, "method": method, "params": params})
        try:
            async with self._http.stream(
                "POST",
                "",
                content=body,
                headers={"content-type": "application/json"},
                auth=self._basic_auth(),
                timeout=timeout or self._timeout,
            ) as response:
                status = response.status_code
                if status == 401 and self._cookie is not None:
                    raise Retryable("HTTP 401 (cookie re-read)")
                if status in (401, 403):
                    raise ChainUnavailable(f"{method}: HTTP {status} (access refused; check the RPC credentials)")
                payload = await read_capped(response, self._max_body, method)
        except httpx.TimeoutException as exc:
            raise Retryable("timed out") from exc
        except httpx.TransportError as exc:
            raise Retryable(f"transport error ({type(exc).__name__})") from exc
        return _unwrap(method, status, payload, request_id)

    def _basic_auth(self) -> httpx.BasicAuth | None:
        if self._cookie is not None:
            # Read on every call: cheap, and right after a node restart the old cookie is dead.
            try:
                with self._cookie.open("rb") as handle:
                    text = handle.read(MAX_COOKIE_BYTES + 1).decode("utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise ChainUnavailable("cannot read the RPC cookie file") from exc
            user, sep, password = text.partition(":")
            if not sep or len(text) > MAX_COOKIE_BYTES:
                raise ChainUnavailable("the RPC cookie file is not user:password")
            return httpx.BasicAuth(user, password)
        return httpx.BasicAuth(*self._auth) if self._auth else None


def _unwrap(method: str, status: int, payload: bytes, request_id: int) -> Any:
    """The result of one JSON-RPC answer. Core's 1.0 envelope answers RPC errors with HTTP 500
    (404 for an unknown method, 400 for a bad request) and the error object in the body."""
    try:
        data = json.loads(payload, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        if status >= 500 or status == 429:
            raise Retryable(f"HTTP {status}") from exc
        raise ChainDataError(f"{method}: HTTP {status}, answer is not JSON") from exc
    if not isinstance(data, dict) or not {"result", "error"} <= set(data):
        if status >= 500:
            raise Retryable(f"HTTP {status}")
        raise ChainDataError(f"{method}: HTTP {status}, not a JSON-RPC answer")
    if data.get("id") != request_id:
        raise ChainDataError(f"{method}: answer to another request id")
    error = data["error"]
    if error is not None:
        raise _rpc_error(method, error)
    if status != 200:
        raise ChainDataError(f"{method}: HTTP {status} with a result")
    return data["result"]


def _rpc_error(method: str, error: Any) -> Exception:
    if not isinstance(error, dict) or isinstance(error.get("code"), bool) or not isinstance(error.get("code"), int):
        return ChainDataError(f"{method}: malformed RPC error object")
    code = error["code"]
    message = error.get("message")
    # The node's message is shown, cut short and printable only: it is the operator's best clue.
    text = re.sub(r"[^ -~]", "?", message[:200]) if isinstance(message, str) else "no message"
    if code in _UNAVAILABLE_CODES:
        return CoreRpcUnavailable(f"{method}: RPC error {code}, {_UNAVAILABLE_CODES[code]}: {text}", code)
    if code == -8 and "in progress" in text:
        return CoreRpcUnavailable(f"{method}: another scantxoutset is running on the node: {text}", code)
    return CoreRpcError(f"{method}: RPC error {code}: {text}", code)


def _no_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not allowed")


def _scan_result(raw: Any) -> ScanResult:
    where = "scantxoutset"
    data = _expect(raw, dict, where)
    if data.get("success") is not True:
        raise ChainDataError(f"{where}: scan did not complete (success is not true)")
    _uint(data.get("txouts"), where + " txouts")
    items = _expect(data.get("unspents"), list, where + " unspents")
    unspents = tuple(_unspent(item, f"{where} unspents[{i}]") for i, item in enumerate(items))
    total = _btc_to_sat(data.get("total_amount"), where + " total_amount", MAX_SATS)
    if total != sum(u.value_sat for u in unspents):
        raise ChainDataError(f"{where}: total_amount is not the sum of the unspents")
    points = {(u.txid, u.vout) for u in unspents}
    if len(points) != len(unspents):
        raise ChainDataError(f"{where}: the same outpoint is listed twice")
    return ScanResult(
        best_block=_hash(data.get("bestblock"), where + " bestblock"),
        height=_uint(data.get("height"), where + " height"),
        unspents=unspents,
    )


def _unspent(item: Any, where: str) -> ScanUnspent:
    item = _expect(item, dict, where)
    if not isinstance(item.get("coinbase"), bool):
        raise ChainDataError(f"{where}: coinbase must be a boolean (node too old?)")
    _expect(item.get("desc"), str, where + " desc")
    block_hash = item.get("blockhash")
    confirmations = item.get("confirmations")
    return ScanUnspent(
        txid=_hash(item.get("txid"), where + " txid"),
        vout=_uint(item.get("vout"), where + " vout", 2**32 - 1),
        script_pubkey=_hex(item.get("scriptPubKey"), where + " scriptPubKey", 10_000),
        value_sat=_btc_to_sat(item.get("amount"), where + " amount", MAX_SATS),
        coinbase=item["coinbase"],
        height=_uint(item.get("height"), where + " height"),
        block_hash=None if block_hash is None else _hash(block_hash, where + " blockhash"),
        confirmations=None if confirmations is None else _uint(confirmations, where + " confirmations"),
    )


def _btc_to_sat(value: Any, where: str, maximum: int) -> int:
    """Core writes amounts as JSON numbers in BTC with 8 decimals; parsed as Decimal, never float."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ChainDataError(f"{where}: expected an amount in BTC")
    try:
        # Inexact trapped: an exponent beyond the context (overflow, underflow to 0) or more digits
        # than its precision would otherwise round silently; Overflow is not an InvalidOperation.
        with localcontext() as ctx:
            ctx.traps[Inexact] = True
            sats = Decimal(value) * SATS_PER_BTC
            exact = sats == sats.to_integral_value()
    except (ArithmeticError, OverflowError) as exc:
        raise ChainDataError(f"{where}: not a finite amount") from exc
    if not exact or not 0 <= sats <= maximum:
        raise ChainDataError(f"{where}: not a whole number of satoshis in [0, {maximum}]")
    return int(sats)


def _expect(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind):
        raise ChainDataError(f"{where}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _uint(value: Any, where: str, maximum: int = 2**63 - 1) -> int:
    return _int(value, where, 0, maximum)


def _int(value: Any, where: str, minimum: int, maximum: int = 2**63 - 1) -> int:
    # bool is an int subclass; JSON true must not pass as 1. Decimal (a JSON fraction) is refused.
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ChainDataError(f"{where}: expected an integer in [{minimum}, {maximum}]")
    return value


def _hash(value: Any, where: str) -> str:
    if not is_hex64(value):
        raise ChainDataError(f"{where}: expected 64 lowercase hex chars")
    return value


def _hex(value: Any, where: str, max_bytes: int = 4_000_000) -> bytes:
    if not isinstance(value, str) or len(value) > 2 * max_bytes or not HEX_BYTES.fullmatch(value):
        raise ChainDataError(f"{where}: expected lowercase hex of at most {max_bytes} bytes")
    return bytes.fromhex(value)
