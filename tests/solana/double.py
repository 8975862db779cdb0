"""A TEST DOUBLE of a Solana JSON-RPC node, served over real HTTP (no Solana validator runs here).

It answers getGenesisHash, getTokenSupply, getBlock, getBlocks, getBlockTime and getSlot with
the response shapes documented at solana.com/docs/rpc (getTokenSupply: `{context: {apiVersion,
slot}, value: {amount, decimals, uiAmount, uiAmountString}}`; getBlock with
`transactionDetails: "none"`: `{blockHeight, blockTime, blockhash, parentSlot,
previousBlockhash}`) and the error object `{code, message}` with the node's codes (-32007 slot
skipped, -32009 skipped in long-term storage, -32602 invalid params, -32601 method not found).
Knobs: `skipped` slots, `overrides[method](params)` returning a result or a Raw/Error/Hang.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chains.devnet.http import StopServer, read_body, serve_in_thread
from chains.solana.base58 import b58encode

MAINNET_GENESIS = "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d"
DEVNET_GENESIS = "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG"
MINT = b58encode(hashlib.sha256(b"double mint").digest())
API_VERSION = "2.1.21"
_MAX_REQUEST = 64 * 1024


@dataclass
class Raw:
    """Answer with this HTTP status and body instead of a JSON-RPC response."""

    status: int
    body: bytes = b""


@dataclass
class Error:
    """Answer with a JSON-RPC error object."""

    code: int
    message: str


@dataclass
class Hang:
    """Sleep this long, then answer normally."""

    seconds: float


def blockhash(slot: int) -> str:
    return b58encode(hashlib.sha256(b"block %d" % slot).digest())


@dataclass
class SolanaDouble:
    """The state of a sane cluster at `finalized_slot`, with knobs to make it lie or fail."""

    genesis: str = MAINNET_GENESIS
    mint: str = MINT
    supply: int = 2_100_000_000_000_000
    decimals: int = 8
    finalized_slot: int = 300_000_000
    skipped: set[int] = field(default_factory=set)
    overrides: dict[str, Callable[[list[Any]], Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def block_time(self, slot: int) -> int:
        return 1_700_000_000 + slot // 3

    def block(self, slot: int) -> dict[str, Any]:
        parent = max((s for s in range(slot - 1, max(-1, slot - 200), -1) if s not in self.skipped), default=0)
        return {
            "blockHeight": slot - len(self.skipped),
            "blockTime": self.block_time(slot),
            "blockhash": blockhash(slot),
            "parentSlot": parent,
            "previousBlockhash": blockhash(parent),
        }

    # -- methods ---------------------------------------------------------------------------------

    def getGenesisHash(self, params: list[Any]) -> Any:
        return self.genesis

    def getSlot(self, params: list[Any]) -> Any:
        return self.finalized_slot

    def getTokenSupply(self, params: list[Any]) -> Any:
        if not params or params[0] != self.mint:
            return Error(-32602, "Invalid param: not a Token mint")
        ui = self.supply / 10**self.decimals
        text = str(self.supply).rjust(self.decimals + 1, "0")
        ui_string = (
            (text[: -self.decimals] + "." + text[-self.decimals :]).rstrip("0").rstrip(".") if self.decimals else text
        )
        return {
            "context": {"apiVersion": API_VERSION, "slot": self.finalized_slot},
            "value": {
                "amount": str(self.supply),
                "decimals": self.decimals,
                "uiAmount": ui,
                "uiAmountString": ui_string,
            },
        }

    def getBlock(self, params: list[Any]) -> Any:
        slot = self._slot_param(params)
        if isinstance(slot, Error):
            return slot
        if slot in self.skipped:
            return Error(-32007, f"Slot {slot} was skipped, or missing due to ledger jump to recent snapshot")
        return self.block(slot)

    def getBlockTime(self, params: list[Any]) -> Any:
        slot = self._slot_param(params)
        if isinstance(slot, Error):
            return slot
        if slot in self.skipped:
            return Error(-32009, f"Slot {slot} was skipped, or missing in long-term storage")
        return self.block_time(slot)

    def getBlocks(self, params: list[Any]) -> Any:
        if len(params) < 2 or not all(isinstance(p, int) for p in params[:2]):
            return Error(-32602, "Invalid params: expected start and end slots")
        start, end = params[0], min(params[1], self.finalized_slot)
        return [s for s in range(start, end + 1) if s not in self.skipped]

    def _slot_param(self, params: list[Any]) -> int | Error:
        if not params or not isinstance(params[0], int) or isinstance(params[0], bool) or params[0] < 0:
            return Error(-32602, "Invalid params: invalid type: expected u64")
        if params[0] > self.finalized_slot:
            return Error(-32004, f"Block not available for slot {params[0]}")
        return params[0]

    # -- HTTP ------------------------------------------------------------------------------------

    async def answer(self, body: bytes) -> tuple[int, bytes]:
        try:
            request = json.loads(body)
            method, request_id = request["method"], request["id"]
        except (ValueError, KeyError, TypeError):
            reply = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}
            return 200, json.dumps(reply).encode()
        self.calls.append(method)
        params = request.get("params", [])
        handler = self.overrides.get(method) or getattr(self, method, None)
        if handler is None or method.startswith("_"):
            outcome: Any = Error(-32601, "Method not found")
        else:
            outcome = handler(params)
        if isinstance(outcome, Hang):
            await asyncio.sleep(outcome.seconds)
            outcome = getattr(self, method)(params)
        if isinstance(outcome, Raw):
            return outcome.status, outcome.body
        if isinstance(outcome, Error):
            reply = {"jsonrpc": "2.0", "id": request_id, "error": {"code": outcome.code, "message": outcome.message}}
        else:
            reply = {"jsonrpc": "2.0", "id": request_id, "result": outcome}
        return 200, json.dumps(reply).encode()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive, _MAX_REQUEST)
        status, reply = (413, b"") if body is None else await self.answer(body)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(reply)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": reply})


def serve(double: SolanaDouble) -> tuple[str, StopServer]:
    """Serve `double` on a free local port; returns (base_url, stop)."""
    return serve_in_thread(double, host="127.0.0.1", port=0)
