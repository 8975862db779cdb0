"""TEST DOUBLE of a Bitcoin Core JSON-RPC server, serving a devnet RegtestChain over real HTTP.

Not a node: it answers the methods the Core reserve adapter uses, with the response shapes,
error objects and HTTP statuses of Bitcoin Core (v26+; checked against the node documentation in
tests/bitcoin/fixtures). JSON-RPC 1.0 requests get Core's legacy statuses (500 for an RPC
error, 404 for an unknown method, 400 for an invalid request); 2.0 requests get 200. A request
without the right basic auth gets 401 with an empty body, as Core does. It behaves like a node
started with -txindex. `tamper(method, params, call)` lets tests make it lie: it returns the
result to send (`call()` computes the honest one) or raises RpcFault.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from chains.devnet.bitcoin import DevnetBlock, RegtestChain
from chains.devnet.btc_block import bits_to_target
from chains.devnet.http import StopServer, read_body, serve_in_thread
from tests.doubles.bitcoin_core_scan import Needle, RpcFault, expand, scan_chain
from tests.doubles.merkleblock import build_merkle_block

__all__ = ["CoreRpcDouble", "RpcFault", "serve_core_rpc"]

MAX_REQUEST_BYTES = 1_000_000
_DIFF1_TARGET = 0xFFFF << 208
_HASH = re.compile(r"[0-9a-f]{64}")
Tamper = Callable[[str, list, Callable[[], Any]], Any]


class CoreRpcDouble:
    """ASGI app: Bitcoin Core's JSON-RPC subset over `chain` (a test double, not a node)."""

    def __init__(
        self, chain: RegtestChain, auth: tuple[str, str] = ("devnet", "devnet"), tamper: Tamper | None = None
    ) -> None:
        self.chain = chain
        self.auth = auth
        self.tamper = tamper
        self.calls: list[str] = []
        self._scan_cache: dict[tuple[str, int, int], list[Needle]] = {}
        self._methods: dict[str, Callable[..., Any]] = {
            "getbestblockhash": lambda: self.chain.tip_hash,
            "getblockcount": lambda: self.chain.tip_height,
            "getblockhash": self._getblockhash,
            "getblockheader": self._getblockheader,
            "scantxoutset": self._scantxoutset,
            "gettxspendingprevout": self._gettxspendingprevout,
            "gettxoutproof": self._gettxoutproof,
            "getrawtransaction": self._getrawtransaction,
        }

    async def __call__(
        self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive, MAX_REQUEST_BYTES)
        status, payload, headers = self.respond(
            scope["method"], dict(scope["headers"]).get(b"authorization", b""), body
        )
        headers = [*headers, (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def respond(self, verb: str, authorization: bytes, body: bytes | None) -> tuple[int, bytes, list]:
        """(status, body, headers) of one HTTP request."""
        if not self._authorized(authorization):
            return 401, b"", [(b"www-authenticate", b'Basic realm="jsonrpc"')]
        if verb != "POST":
            return 405, b"JSONRPC server handles only POST requests", [(b"content-type", b"text/html")]
        json_headers = [(b"content-type", b"application/json")]
        if body is None:
            return 413, b"", []
        try:
            request = json.loads(body, parse_float=Decimal)
        except (ValueError, RecursionError):
            return 500, _dumps(_error_reply(None, -32700, "Parse error")) + b"\n", json_headers
        if isinstance(request, list):
            # A batch always answers 200 with one reply per request.
            return 200, _dumps([self._reply(item)[1] for item in request]) + b"\n", json_headers
        status, reply = self._reply(request)
        return status, _dumps(reply) + b"\n", json_headers

    def _authorized(self, header: bytes) -> bool:
        expected = b"Basic " + base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode())
        return secrets.compare_digest(header, expected)

    def _reply(self, request: Any) -> tuple[int, dict]:
        if not isinstance(request, dict):
            return 400, _error_reply(None, -32600, "Invalid Request object")
        request_id = request.get("id")
        v2 = request.get("jsonrpc") == "2.0"
        method, params = request.get("method"), request.get("params", [])
        try:
            if not isinstance(method, str):
                raise RpcFault(-32600, "Method must be a string")
            if not isinstance(params, list):
                raise RpcFault(-32600, "Params must be an array or object")
            if method not in self._methods:
                raise RpcFault(-32601, "Method not found")
            self.calls.append(method)
            if self.tamper is not None:
                result = self.tamper(method, params, lambda: self._call(method, params))
            else:
                result = self._call(method, params)
        except RpcFault as fault:
            status = 200 if v2 else {-32600: 400, -32601: 404}.get(fault.code, 500)
            reply = _error_reply(request_id, fault.code, fault.message)
            return status, ({"jsonrpc": "2.0", "error": reply["error"], "id": request_id} if v2 else reply)
        if v2:
            return 200, {"jsonrpc": "2.0", "result": result, "id": request_id}
        return 200, {"result": result, "error": None, "id": request_id}

    def _call(self, method: str, params: list) -> Any:
        handler = self._methods[method]
        arity = handler.__code__.co_argcount - (1 if hasattr(handler, "__self__") else 0)
        required = arity - len(handler.__defaults__ or ())
        if not required <= len(params) <= arity:
            # Core answers a wrong parameter count with the method's help text as a -1 error.
            raise RpcFault(-1, f"{method} ... (wrong number of parameters; see help {method})")
        return handler(*params)

    # --- methods -----------------------------------------------------------------------------

    def _getblockhash(self, height: Any) -> str:
        _expect_int(height)
        block = self.chain.block_at(height)
        if block is None:
            raise RpcFault(-8, "Block height out of range")
        return block.hash

    def _getblockheader(self, block_hash: Any, verbose: Any = True) -> Any:
        block = self._block(block_hash)
        if not isinstance(verbose, bool):
            raise RpcFault(-3, f"JSON value of type {_type(verbose)} is not of expected type bool")
        if not verbose:
            return block.header.serialize().hex()
        return self._header_json(block)

    def _header_json(self, block: DevnetBlock) -> dict[str, Any]:
        tip = self.chain.tip_height
        following = self.chain.block_at(block.height + 1)
        out: dict[str, Any] = {
            "hash": block.hash,
            "confirmations": tip - block.height + 1,
            "height": block.height,
            "version": block.header.version,
            "versionHex": f"{block.header.version:08x}",
            "merkleroot": block.header.merkle[::-1].hex(),
            "time": block.time,
            "mediantime": self.chain.median_time_past(block.height),
            "nonce": block.header.nonce,
            "bits": f"{block.header.bits:08x}",
            "difficulty": Decimal(repr(_DIFF1_TARGET / bits_to_target(block.header.bits))),
            # Regtest work per block is 2 (2**256 // (target + 1) with target ~ 2**255).
            "chainwork": f"{2 * (block.height + 1):064x}",
            "nTx": len(block.txids),
        }
        if block.prev_hash:
            out["previousblockhash"] = block.prev_hash
        if following:
            out["nextblockhash"] = following.hash
        return out

    def _scantxoutset(self, action: Any, scan_objects: Any = None) -> Any:
        if action == "status":
            return None  # no scan in progress (scans here finish within the call)
        if action == "abort":
            return False
        if action != "start":
            raise RpcFault(-8, f"Invalid action '{str(action)[:40]}'")
        if not isinstance(scan_objects, list):
            raise RpcFault(-8, "scanobjects argument is required for the start action")
        needles = [n for obj in scan_objects for n in expand(obj, self._scan_cache)]
        return scan_chain(self.chain, needles)

    def _gettxspendingprevout(self, outputs: Any) -> list[dict[str, Any]]:
        if not isinstance(outputs, list) or not outputs:
            raise RpcFault(-8, "Invalid parameter, outputs are missing")
        answers = []
        for item in outputs:
            if not isinstance(item, dict) or not isinstance(item.get("txid"), str) or "vout" not in item:
                raise RpcFault(-3, "Invalid parameter, missing txid or vout")
            txid, vout = _txid(item["txid"]), item["vout"]
            _expect_int(vout)
            if vout < 0:
                raise RpcFault(-8, "Invalid parameter, vout cannot be negative")
            answer = {"txid": txid, "vout": vout}
            spender = self.chain.spender(txid, vout)
            if spender is not None and self.chain.tx(spender).height is None:
                answer["spendingtxid"] = spender
            answers.append(answer)
        return answers

    def _gettxoutproof(self, txids: Any, block_hash: Any = None) -> str:
        if not isinstance(txids, list) or not txids:
            raise RpcFault(-8, "Parameter 'txids' cannot be empty")
        wanted = [_txid(t) for t in txids]
        if len(set(wanted)) != len(wanted):
            raise RpcFault(-8, f"Invalid parameter, duplicated txid: {wanted[0]}")
        if block_hash is None:
            rec = self.chain.tx(wanted[0])
            if rec is None or rec.block_hash is None:
                raise RpcFault(-5, "Transaction not yet in block")
            block_hash = rec.block_hash
        block = self._block(block_hash)
        if not set(wanted) <= set(block.txids):
            raise RpcFault(-5, "Not all transactions found in specified or retrieved block")
        return build_merkle_block(block.header.serialize(), list(block.txids), set(wanted)).hex()

    def _getrawtransaction(self, txid: Any, verbosity: Any = 0, block_hash: Any = None) -> str:
        txid = _txid(txid)
        if verbosity not in (0, False):
            raise RpcFault(-8, "this test double serves verbosity 0 only")
        rec = self.chain.tx(txid)
        if block_hash is not None:
            block = self._block(block_hash)
            if txid not in block.txids:
                raise RpcFault(
                    -5, "No such transaction found in the provided block. Use gettransaction for wallet transactions."
                )
        if rec is None:
            raise RpcFault(-5, "No such mempool or blockchain transaction. Use gettransaction for wallet transactions.")
        return rec.raw.hex()

    def _block(self, block_hash: Any) -> DevnetBlock:
        if not isinstance(block_hash, str):
            raise RpcFault(-3, f"JSON value of type {_type(block_hash)} is not of expected type string")
        if len(block_hash) != 64 or not _HASH.fullmatch(block_hash.lower()):
            raise RpcFault(-8, f"blockhash must be of length 64 (not {len(block_hash)}, for '{block_hash[:64]}')")
        block = self.chain.block(block_hash.lower())
        if block is None:
            raise RpcFault(-5, "Block not found")
        return block


def _txid(value: Any) -> str:
    if not isinstance(value, str):
        raise RpcFault(-3, f"JSON value of type {_type(value)} is not of expected type string")
    if len(value) != 64 or not _HASH.fullmatch(value.lower()):
        raise RpcFault(-8, f"txid must be of length 64 (not {len(value)}, for '{value[:64]}')")
    return value.lower()


def _expect_int(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RpcFault(-3, f"JSON value of type {_type(value)} is not of expected type number")


def _type(value: Any) -> str:
    names = {bool: "bool", int: "number", Decimal: "number", str: "string", list: "array", dict: "object"}
    return "null" if value is None else names.get(type(value), "unknown")


def _error_reply(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"result": None, "error": {"code": code, "message": message}, "id": request_id}


def _dumps(value: Any) -> bytes:
    """JSON as Core writes it: amounts (Decimal) as plain numbers with their decimals."""
    return json.dumps(_encode(value), separators=(",", ":")).replace('"\\u0000', "").replace('\\u0000"', "").encode()


def _encode(value: Any) -> Any:
    # json cannot write a Decimal as a number; mark it so _dumps can strip the quotes.
    if isinstance(value, Decimal):
        return f"\u0000{value}\u0000"
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def serve_core_rpc(
    chain: RegtestChain,
    auth: tuple[str, str] = ("devnet", "devnet"),
    tamper: Tamper | None = None,
    host: str = "127.0.0.1",
) -> tuple[str, StopServer, CoreRpcDouble]:
    """Serve the double over HTTP in a daemon thread: `(base_url, stop, app)`."""
    app = CoreRpcDouble(chain, auth, tamper)
    url, stop = serve_in_thread(app, host)
    return url, stop, app
