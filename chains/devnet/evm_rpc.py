"""Ethereum JSON-RPC over an in-process eth-tester chain: request parsing, dispatch, hex formatting."""

from __future__ import annotations

import ast
import json
import threading
from collections.abc import Callable
from typing import Any

from eth_tester import EthereumTester
from eth_tester.exceptions import BlockNotFound, TransactionFailed, TransactionNotFound, ValidationError

from chains.hexes import is_evm_address, is_evm_data, is_evm_hash, is_evm_quantity

# JSON-RPC 2.0 error codes; 3 is what geth and anvil use for reverted calls.
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = (
    -32700,
    -32600,
    -32601,
    -32602,
    -32603,
)
SERVER_ERROR, EXECUTION_REVERTED = -32000, 3
MAX_BATCH = 100

# Transaction keys eth-tester accepts, by JSON-RPC name; quantities are converted to int.
_TX_KEYS = {
    "from": "from",
    "to": "to",
    "data": "data",
    "input": "data",
    "gas": "gas",
    "gasPrice": "gas_price",
    "value": "value",
    "nonce": "nonce",
    "maxFeePerGas": "max_fee_per_gas",
    "maxPriorityFeePerGas": "max_priority_fee_per_gas",
}
_TX_QUANTITIES = {"gas", "gas_price", "value", "nonce", "max_fee_per_gas", "max_priority_fee_per_gas"}


class RpcError(Exception):
    """A JSON-RPC error object to send back."""

    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


class EvmJsonRpc:
    """Answers Ethereum JSON-RPC requests from an EthereumTester, one at a time under `lock`.

    Block tags: `latest` and `pending` are the newest mined block (transactions are auto-mined),
    `safe` and `finalized` are `latest - safe_depth` / `latest - finalized_depth` clamped at 0, as
    anvil does. State-changing methods other than `eth_sendRawTransaction` are not exposed: the
    tester's accounts are unlocked, and whoever reaches the URL must not mint with them.
    """

    def __init__(
        self,
        tester: EthereumTester,
        chain_id: int,
        lock: threading.RLock,
        *,
        finalized_depth: int = 64,
        safe_depth: int = 32,
        call_from: str,
    ) -> None:
        self.tester, self.chain_id, self.lock = tester, chain_id, lock
        self.finalized_depth, self.safe_depth = finalized_depth, safe_depth
        self._call_from = call_from  # eth-tester wants a funded `from` even for eth_call
        self._methods: dict[str, Callable[[list[Any]], Any]] = {
            "web3_clientVersion": lambda p: "reserves-devnet-evm/eth-tester",
            "net_version": lambda p: str(self.chain_id),
            "net_listening": lambda p: True,
            "eth_chainId": lambda p: hex(self.chain_id),
            "eth_syncing": lambda p: False,
            "eth_accounts": lambda p: [],
            "eth_blockNumber": lambda p: hex(self.latest()),
            "eth_gasPrice": self._gas_price,
            "eth_maxPriorityFeePerGas": lambda p: hex(10**9),
            "eth_getBlockByNumber": self._get_block_by_number,
            "eth_getBlockByHash": self._get_block_by_hash,
            "eth_call": self._call,
            "eth_estimateGas": self._estimate_gas,
            "eth_getBalance": lambda p: hex(self.tester.get_balance(_addr(p, 0), self._block(p, 1))),
            "eth_getCode": lambda p: self.tester.get_code(_addr(p, 0), self._block(p, 1)),
            "eth_getTransactionCount": lambda p: hex(self.tester.get_nonce(_addr(p, 0), self._block(p, 1))),
            "eth_getTransactionByHash": self._get_transaction,
            "eth_getTransactionReceipt": self._get_receipt,
            "eth_getLogs": self._get_logs,
            "eth_sendRawTransaction": lambda p: self.tester.send_raw_transaction(_hex_param(p, 0)),
        }

    def handle_body(self, body: bytes) -> Any:
        """The JSON response to one HTTP body (a request or a batch); None when nothing is owed."""
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _error_response(None, RpcError(PARSE_ERROR, "parse error"))
        if isinstance(payload, list):
            if not payload or len(payload) > MAX_BATCH:
                message = f"batch of 1..{MAX_BATCH} requests expected"
                return _error_response(None, RpcError(INVALID_REQUEST, message))
            answers = [self.handle_request(item) for item in payload]
            return [a for a in answers if a is not None] or None
        return self.handle_request(payload)

    def handle_request(self, request: Any) -> dict[str, Any] | None:
        """Answer one request object; notifications (no `id`) get no answer."""
        if not (
            isinstance(request, dict) and request.get("jsonrpc") == "2.0" and isinstance(request.get("method"), str)
        ):
            return _error_response(None, RpcError(INVALID_REQUEST, "invalid request"))
        rid = request.get("id")
        params = request.get("params", [])
        try:
            if not isinstance(params, list):
                raise RpcError(INVALID_PARAMS, "params must be an array")
            method = self._methods.get(request["method"])
            if method is None:
                name = request["method"]
                raise RpcError(METHOD_NOT_FOUND, f"the method {name} does not exist/is not available")
            with self.lock:
                result = to_json(method(params))
        except RpcError as exc:
            return _error_response(rid, exc) if "id" in request else None
        except Exception as exc:  # noqa: BLE001 - a handler bug must become a JSON-RPC error, not a dead server
            return _error_response(rid, _map_exception(exc)) if "id" in request else None
        return {"jsonrpc": "2.0", "id": rid, "result": result} if "id" in request else None

    def latest(self) -> int:
        """Number of the newest mined block."""
        return self.tester.get_block_by_number("latest")["number"]

    def resolve_block(self, ident: Any) -> int:
        """Block number of a tag, hex quantity or EIP-1898 object; RpcError if there is no such block."""
        latest = self.latest()
        if ident is None or ident in ("latest", "pending"):
            return latest
        if ident == "earliest":
            return 0
        if ident in ("finalized", "safe"):
            depth = self.finalized_depth if ident == "finalized" else self.safe_depth
            return max(0, latest - depth)
        if isinstance(ident, dict):
            return self._resolve_1898(ident)
        number = _quantity(ident, "block")
        if number > latest:
            raise RpcError(SERVER_ERROR, "header not found")
        return number

    def _resolve_1898(self, ident: dict[str, Any]) -> int:
        if "blockNumber" in ident:
            return self.resolve_block(ident["blockNumber"])
        try:
            block = self.tester.get_block_by_hash(_hex32(ident.get("blockHash")))
        except BlockNotFound as exc:
            raise RpcError(SERVER_ERROR, "header not found") from exc
        return block["number"]

    def _block(self, params: list[Any], index: int) -> int:
        return self.resolve_block(params[index] if len(params) > index else "latest")

    def _get_block_by_number(self, params: list[Any]) -> Any:
        try:
            number = self._block(params, 0)
        except RpcError:
            return None  # nodes answer null for blocks they do not have
        return _format_block(self.tester.get_block_by_number(number, bool(params[1:2] and params[1])))

    def _get_block_by_hash(self, params: list[Any]) -> Any:
        try:
            full = bool(params[1:2] and params[1])
            block = self.tester.get_block_by_hash(_hex32(params[0] if params else None), full)
        except BlockNotFound:
            return None
        return _format_block(block)

    def _gas_price(self, params: list[Any]) -> str:
        base_fee = self.tester.get_block_by_number("pending")["base_fee_per_gas"]
        return hex(base_fee + 10**9)

    def _call(self, params: list[Any]) -> Any:
        return self.tester.call(self._tx(params), self._block(params, 1))

    def _estimate_gas(self, params: list[Any]) -> str:
        return hex(self.tester.estimate_gas(self._tx(params), self._block(params, 1)))

    def _tx(self, params: list[Any]) -> dict[str, Any]:
        if not params or not isinstance(params[0], dict):
            raise RpcError(INVALID_PARAMS, "transaction object expected")
        tx: dict[str, Any] = {"from": self._call_from}
        for key, value in params[0].items():
            name = _TX_KEYS.get(key)
            if name is None or value is None:
                continue
            tx[name] = _quantity(value, key) if name in _TX_QUANTITIES else value
        return tx

    def _get_transaction(self, params: list[Any]) -> Any:
        try:
            return _format_tx(self.tester.get_transaction_by_hash(_hex32(params[0] if params else None)))
        except TransactionNotFound:
            return None

    def _get_receipt(self, params: list[Any]) -> Any:
        try:
            receipt = dict(self.tester.get_transaction_receipt(_hex32(params[0] if params else None)))
        except TransactionNotFound:
            return None
        receipt.pop("state_root", None)  # post-Byzantium receipts carry `status`, not a root
        receipt["to"] = receipt.get("to") or None
        receipt["contract_address"] = receipt.get("contract_address") or None
        receipt["logs_bloom"] = "0x" + "00" * 256
        return receipt

    def _get_logs(self, params: list[Any]) -> Any:
        query = params[0] if params and isinstance(params[0], dict) else None
        if query is None:
            raise RpcError(INVALID_PARAMS, "filter object expected")
        if "blockHash" in query:
            start = end = self._resolve_1898({"blockHash": query["blockHash"]})
        else:
            start = self.resolve_block(query.get("fromBlock", "latest"))
            end = self.resolve_block(query.get("toBlock", "latest"))
        topics = query.get("topics") or None
        return self.tester.get_logs(from_block=start, to_block=end, address=query.get("address"), topics=topics)


def to_json(value: Any) -> Any:
    """eth-tester output -> JSON-RPC: camelCase keys, ints as hex quantities, tuples as lists."""
    if isinstance(value, dict):
        out = {_camel(k): to_json(v) for k, v in value.items()}
        if out.get("type") == "mined":  # eth-tester's log marker; the wire has `removed`
            del out["type"]
            out["removed"] = False
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def _format_block(block: dict[str, Any]) -> dict[str, Any]:
    block = dict(block)
    block["miner"] = block.pop("coinbase", None)
    # eth-tester keeps the bloom as an int; on the wire it is 256 bytes of data.
    block["logs_bloom"] = "0x" + int(block.get("logs_bloom", 0)).to_bytes(256, "big").hex()
    block["transactions"] = [_format_tx(tx) if isinstance(tx, dict) else tx for tx in block.get("transactions", ())]
    return block


def _format_tx(tx: dict[str, Any]) -> dict[str, Any]:
    tx = dict(tx)
    tx["input"] = tx.pop("data", "0x")
    return tx


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _quantity(value: Any, what: str) -> int:
    if is_evm_quantity(value, any_case=True):
        return int(value, 16)
    raise RpcError(INVALID_PARAMS, f"{what}: hex quantity expected")


def _hex32(value: Any) -> str:
    if is_evm_hash(value, any_case=True):
        return value
    raise RpcError(INVALID_PARAMS, "32-byte hex hash expected")


def _addr(params: list[Any], index: int) -> str:
    value = params[index] if len(params) > index else None
    if is_evm_address(value):
        return value
    raise RpcError(INVALID_PARAMS, "20-byte hex address expected")


def _hex_param(params: list[Any], index: int) -> str:
    value = params[index] if len(params) > index else None
    if is_evm_data(value, any_case=True):
        return value
    raise RpcError(INVALID_PARAMS, "hex data expected")


def _map_exception(exc: Exception) -> RpcError:
    if isinstance(exc, TransactionFailed):
        return RpcError(EXECUTION_REVERTED, "execution reverted", _revert_data(exc))
    if isinstance(exc, BlockNotFound):
        return RpcError(SERVER_ERROR, "header not found")
    if isinstance(exc, (ValidationError, ValueError, TypeError)):
        return RpcError(INVALID_PARAMS, f"invalid params: {type(exc).__name__}")
    return RpcError(INTERNAL_ERROR, f"internal error: {type(exc).__name__}")


def _revert_data(exc: TransactionFailed) -> str | None:
    """eth-tester reports revert data as the repr of a bytes object; recover the bytes."""
    raw = exc.args[0] if exc.args else None
    if isinstance(raw, str) and raw.startswith("b'"):
        try:
            raw = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return None
    return "0x" + raw.hex() if isinstance(raw, bytes) else None


def _error_response(rid: Any, err: RpcError) -> dict[str, Any]:
    error: dict[str, Any] = {"code": err.code, "message": err.message}
    if err.data is not None:
        error["data"] = err.data
    return {"jsonrpc": "2.0", "id": rid, "error": error}
