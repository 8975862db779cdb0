"""Esplora HTTP API (Blockstream/mempool.space subset) over a RegtestChain, as a tiny pure-ASGI app."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from embit.networks import NETWORKS
from embit.script import Script

from chains.devnet.bitcoin import DevnetBlock, DevnetError, DevnetTx, RegtestChain, regtest_script
from chains.devnet.btc_block import bits_to_target
from chains.devnet.http import StopServer, read_body, serve_in_thread
from chains.hexes import HEX64_ANY_CASE

__all__ = ["EsploraApp", "serve_chain"]

_HASH = f"({HEX64_ANY_CASE.pattern})"  # a txid or block hash in a path, in either case
_DIFF1_TARGET = 0xFFFF << 208
MAX_POST_BYTES = 400_000
MEMPOOL_TXS = 50  # Esplora's /address/:a/txs: up to 50 mempool transactions ...
CHAIN_TXS_PAGE = 25  # ... then 25 confirmed ones per page
# embit script types -> Esplora's `scriptpubkey_type` names
_SCRIPT_TYPES = {"p2pkh": "p2pkh", "p2sh": "p2sh", "p2wpkh": "v0_p2wpkh", "p2wsh": "v0_p2wsh", "p2tr": "v1_p2tr"}

Reply = tuple[int, str, bytes]


def _text(body: str, status: int = 200) -> Reply:
    return status, "text/plain", body.encode()


def _json(value: Any) -> Reply:
    return 200, "application/json", json.dumps(value, separators=(",", ":")).encode()


class EsploraApp:
    """ASGI app answering like Esplora: same paths, JSON shapes, status codes and error texts.

    Reads take the chain's lock per call, so a driver may mine concurrently; each response reflects
    one consistent state of the chain.
    """

    def __init__(self, chain: RegtestChain) -> None:
        self.chain = chain
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Reply]]] = [
            ("GET", re.compile(r"/blocks/tip/hash"), lambda: _text(self.chain.tip_hash)),
            ("GET", re.compile(r"/blocks/tip/height"), lambda: _text(str(self.chain.tip_height))),
            ("GET", re.compile(r"/block-height/([0-9]{1,10})"), self._block_height),
            ("GET", re.compile(rf"/block/{_HASH}"), lambda h: _json(self._block_json(self._block(h)))),
            ("GET", re.compile(rf"/block/{_HASH}/header"), lambda h: _text(self._block(h).header.serialize().hex())),
            ("GET", re.compile(rf"/block/{_HASH}/txids"), lambda h: _json(list(self._block(h).txids))),
            ("GET", re.compile(rf"/block/{_HASH}/status"), self._block_status),
            (
                "GET",
                re.compile(rf"/block/{_HASH}/raw"),
                lambda h: (200, "application/octet-stream", self._block(h).raw),
            ),
            ("GET", re.compile(r"/address/([^/]{1,100})"), self._address),
            ("GET", re.compile(r"/address/([^/]{1,100})/utxo"), self._address_utxo),
            ("GET", re.compile(r"/address/([^/]{1,100})/txs"), self._address_txs),
            ("GET", re.compile(r"/address/([^/]{1,100})/txs/mempool"), self._address_txs_mempool),
            ("GET", re.compile(rf"/address/([^/]{{1,100}})/txs/chain(?:/{_HASH})?"), self._address_txs_chain),
            ("GET", re.compile(rf"/tx/{_HASH}"), lambda t: _json(self._tx_json(self._tx(t)))),
            ("GET", re.compile(rf"/tx/{_HASH}/hex"), lambda t: _text(self._tx(t).raw.hex())),
            ("GET", re.compile(rf"/tx/{_HASH}/raw"), lambda t: (200, "application/octet-stream", self._tx(t).raw)),
            ("GET", re.compile(rf"/tx/{_HASH}/status"), lambda t: _json(_status(self._tx(t)))),
            ("GET", re.compile(rf"/tx/{_HASH}/outspend/([0-9]{{1,10}})"), self._outspend),
            ("GET", re.compile(rf"/tx/{_HASH}/outspends"), self._outspends),
            ("GET", re.compile(rf"/tx/{_HASH}/merkle-proof"), self._merkle_proof),
        ]

    async def __call__(
        self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive, MAX_POST_BYTES)
        try:
            status, content_type, payload = self.handle(scope["method"], scope["path"], body)
        except _NotFound as exc:
            status, content_type, payload = _text(str(exc), 404)
        except DevnetError as exc:
            status, content_type, payload = _text(exc.detail, 400)
        headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def handle(self, method: str, path: str, body: bytes | None) -> Reply:
        """Route one request; raises _NotFound / DevnetError for 404 / 400 answers."""
        path = path.rstrip("/") if path != "/" else path
        if method == "POST" and path == "/tx":
            return self._broadcast(body)
        for verb, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and verb == method:
                return handler(*match.groups())
        raise _NotFound("Not Found")

    # --- handlers ----------------------------------------------------------------------------

    def _block(self, block_hash: str) -> DevnetBlock:
        block = self.chain.block(block_hash.lower())
        if block is None:
            raise _NotFound("Block not found")
        return block

    def _tx(self, txid: str) -> DevnetTx:
        rec = self.chain.tx(txid.lower())
        if rec is None:
            raise _NotFound("Transaction not found")
        return rec

    def _block_height(self, height: str) -> Reply:
        block = self.chain.block_at(int(height))
        if block is None:
            raise _NotFound("Block not found")
        return _text(block.hash)

    def _block_status(self, block_hash: str) -> Reply:
        block = self._block(block_hash)
        following = self.chain.block_at(block.height + 1)
        return _json(
            {"in_best_chain": True, "height": block.height, "next_best": following.hash if following else None}
        )

    def _block_json(self, block: DevnetBlock) -> dict[str, Any]:
        return {
            "id": block.hash,
            "height": block.height,
            "version": block.header.version,
            "timestamp": block.time,
            "tx_count": len(block.txids),
            "size": len(block.raw),
            "weight": block.weight,
            "merkle_root": block.header.merkle[::-1].hex(),
            "previousblockhash": block.prev_hash,
            "mediantime": self.chain.median_time_past(block.height),
            "nonce": block.header.nonce,
            "bits": block.header.bits,
            "difficulty": _DIFF1_TARGET / bits_to_target(block.header.bits),
        }

    def _address(self, address: str) -> Reply:
        stats = self.chain.address_stats(regtest_script(address))
        return _json({"address": address, **stats})

    def _address_utxo(self, address: str) -> Reply:
        items = []
        for out in self.chain.utxos(regtest_script(address)):
            items.append(
                {"txid": out.txid, "vout": out.vout, "status": _status(self.chain.tx(out.txid)), "value": out.value}
            )
        return _json(items)

    def _outspend(self, txid: str, vout: str) -> Reply:
        rec = self._tx(txid)
        if int(vout) >= len(rec.tx.vout):
            raise _NotFound("Output not found")
        return _json(self._spend_json(rec, int(vout)))

    def _outspends(self, txid: str) -> Reply:
        rec = self._tx(txid)
        return _json([self._spend_json(rec, vout) for vout in range(len(rec.tx.vout))])

    def _spend_json(self, rec: DevnetTx, vout: int) -> dict[str, Any]:
        spender = self.chain.spender(rec.txid, vout)
        if spender is None:
            return {"spent": False}
        spending = self._tx(spender)
        index = next(i for i, inp in enumerate(spending.tx.vin) if inp.txid.hex() == rec.txid and inp.vout == vout)
        return {"spent": True, "txid": spender, "vin": index, "status": _status(spending)}

    def _merkle_proof(self, txid: str) -> Reply:
        proof = self.chain.merkle_proof(txid.lower())
        if proof is None:
            raise _NotFound("Transaction not found or is unconfirmed")
        height, branch, pos = proof
        return _json({"block_height": height, "merkle": branch, "pos": pos})

    def _address_txs(self, address: str) -> Reply:
        """Up to 50 mempool transactions, then the first page of confirmed ones (Esplora's /txs)."""
        history = self.chain.history(regtest_script(address))
        pending = [r for r in history if r.height is None][:MEMPOOL_TXS]
        confirmed = [r for r in history if r.height is not None][:CHAIN_TXS_PAGE]
        return _json([self._tx_json(r) for r in pending + confirmed])

    def _address_txs_mempool(self, address: str) -> Reply:
        history = self.chain.history(regtest_script(address))
        return _json([self._tx_json(r) for r in history if r.height is None][:MEMPOOL_TXS])

    def _address_txs_chain(self, address: str, last_seen: str | None = None) -> Reply:
        """A page of confirmed history, newest first, after `last_seen` (like electrs, an empty page
        when `last_seen` is not in this history)."""
        confirmed = [r for r in self.chain.history(regtest_script(address)) if r.height is not None]
        start = 0
        if last_seen is not None:
            ids = [r.txid for r in confirmed]
            start = ids.index(last_seen.lower()) + 1 if last_seen.lower() in ids else len(ids)
        return _json([self._tx_json(r) for r in confirmed[start : start + CHAIN_TXS_PAGE]])

    def _broadcast(self, body: bytes | None) -> Reply:
        if body is None:
            raise DevnetError("body too large")
        try:
            return _text(self.chain.submit(body.decode("ascii").strip()))
        except (UnicodeDecodeError, ValueError) as exc:
            raise DevnetError("sendrawtransaction RPC error: TX decode failed") from exc

    def _tx_json(self, rec: DevnetTx) -> dict[str, Any]:
        vin = []
        for inp in rec.tx.vin:
            prev = None if rec.is_coinbase else self.chain.output(inp.txid.hex(), inp.vout)
            vin.append(
                {
                    "txid": inp.txid.hex(),
                    "vout": inp.vout,
                    "prevout": None if prev is None else _vout(prev.script_pubkey, prev.value),
                    "scriptsig": inp.script_sig.data.hex(),
                    "witness": [item.hex() for item in inp.witness.items],
                    "is_coinbase": rec.is_coinbase,
                    "sequence": inp.sequence,
                }
            )
        return {
            "txid": rec.txid,
            "version": rec.tx.version,
            "locktime": rec.tx.locktime,
            "vin": vin,
            "vout": [_vout(out.script_pubkey.data, out.value) for out in rec.tx.vout],
            "size": len(rec.raw),
            "weight": rec.weight,
            "fee": rec.fee,
            "status": _status(rec),
        }


class _NotFound(Exception):
    """Internal: answer 404 with this text."""


def _status(rec: DevnetTx | None) -> dict[str, Any]:
    if rec is None or rec.height is None:
        return {"confirmed": False}
    return {"confirmed": True, "block_height": rec.height, "block_hash": rec.block_hash, "block_time": rec.block_time}


def _vout(script_pubkey: bytes, value: int) -> dict[str, Any]:
    script = Script(script_pubkey)
    kind = script.script_type()
    entry: dict[str, Any] = {
        "scriptpubkey": script_pubkey.hex(),
        "scriptpubkey_type": _SCRIPT_TYPES.get(kind or "", "unknown"),
    }
    if script_pubkey[:1] == b"\x6a":
        entry["scriptpubkey_type"] = "op_return"
    elif kind in _SCRIPT_TYPES:
        entry["scriptpubkey_address"] = script.address(NETWORKS["regtest"])
    entry["value"] = value
    return entry


def serve_chain(chain: RegtestChain, host: str = "127.0.0.1", port: int = 0) -> tuple[str, StopServer]:
    """Serve `chain` as Esplora over HTTP in a daemon thread: `(base_url, stop)`."""
    return serve_in_thread(EsploraApp(chain), host, port)
