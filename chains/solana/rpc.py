"""Solana JSON-RPC over httpx: bounded bodies, retries (chains.retry), errors as ChainErrors."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import httpx

from chains.errors import ChainDataError, ChainUnavailable
from chains.retry import RPC_BACKOFF, Retryable, retrying

# Worth another try: the node may come back. Every other status and every JSON-RPC error is an answer.
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_MAX_NODE_MESSAGE = 200
# Our answers are small (getBlock without transactions is ~300 bytes); a bigger body is not one.
MAX_BODY_BYTES = 256 * 1024
# JSON-RPC 2.0 codes for requests the node could not make sense of: retrying will not help and
# the node is not "down"; it is not the Solana node we take it for, or it refuses our question.
_BAD_REQUEST_CODES = frozenset({-32700, -32600, -32601, -32602})


class SolanaNodeError(ChainUnavailable):
    """The node answered with a JSON-RPC error object; `rpc_code` is its numeric code."""

    def __init__(self, detail: str, rpc_code: int) -> None:
        super().__init__(detail)
        self.rpc_code = rpc_code


class SolanaBadRequest(ChainDataError):
    """The node refused the request as malformed (-32600/-32601/-32602/-32700); `rpc_code` says which."""

    def __init__(self, detail: str, rpc_code: int) -> None:
        super().__init__(detail)
        self.rpc_code = rpc_code


class _TooLarge(Exception):
    pass


class SolanaRpc:
    """One JSON-RPC endpoint. `label` names the deployment in every error detail; the URL never does.

    `call` makes up to `1 + retries` attempts, each bounded by `timeout_seconds` in total (connect,
    send and the whole body), retrying only transport failures and HTTP 408/425/429/5xx.
    """

    def __init__(self, label: str, url: str, timeout_seconds: float, retries: int) -> None:
        self._label = label
        self._url = url
        self._timeout = timeout_seconds
        self._retries = retries
        self._ids = itertools.count(1)
        # Redirects are not followed: a node that moved is a configuration matter, and following
        # one could send the request (and its key-bearing path) somewhere else.
        self._client = httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=False)

    def __repr__(self) -> str:
        return f"SolanaRpc({self._label!r})"

    async def call(self, method: str, params: list[Any]) -> Any:
        """The `result` member of the node's answer to `method(params)` (may be None)."""
        return await retrying(
            lambda: self._attempt(method, params),
            retries=self._retries,
            backoff=RPC_BACKOFF,
            give_up=lambda reason, attempts: ChainUnavailable(
                f"{self._label}: {method} failed after {attempts} attempt(s): {reason}"
            ),
        )

    async def _attempt(self, method: str, params: list[Any]) -> Any:
        """One request (a fresh id each time): transient failures become Retryable."""
        request_id = next(self._ids)
        payload = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        try:
            status, body = await asyncio.wait_for(self._post(payload), self._timeout)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise Retryable("timed out") from exc
        except httpx.TransportError as exc:
            raise Retryable(type(exc).__name__) from exc
        except _TooLarge:
            raise ChainDataError(f"{self._label}: {method}: answer larger than {MAX_BODY_BYTES} bytes") from None
        if status == 200:
            return self._result(method, request_id, body)
        if status not in _RETRY_STATUS:
            raise ChainUnavailable(f"{self._label}: {method}: node answered HTTP {status}")
        raise Retryable(f"HTTP {status}")

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _post(self, payload: dict[str, Any]) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        async with self._client.stream("POST", self._url, json=payload, headers=headers) as response:
            if response.status_code != 200:
                return response.status_code, b""
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                raise _TooLarge
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _TooLarge
                chunks.append(chunk)
            return 200, b"".join(chunks)

    def _result(self, method: str, request_id: int, body: bytes) -> Any:
        answer = parse_response(body, request_id)
        if answer is None:
            raise ChainDataError(f"{self._label}: {method}: malformed JSON-RPC response")
        if "error" not in answer:
            return answer["result"]
        code, message = answer["error"]["code"], _cut(answer["error"]["message"])
        kind = SolanaBadRequest if code in _BAD_REQUEST_CODES else SolanaNodeError
        raise kind(f"{self._label}: {method}: node error {code}: {message}", code)


def parse_response(body: bytes, request_id: int) -> dict[str, Any] | None:
    """The decoded JSON-RPC 2.0 response to request `request_id`, or None when it is not one.

    A response has `jsonrpc: "2.0"`, our `id`, and exactly one of `result` or `error`; an error is
    `{"code": int, "message": str, ...}`. NaN/Infinity literals are refused (they are not JSON).
    """
    try:
        answer = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(answer, dict) or answer.get("jsonrpc") != "2.0":
        return None
    if type(answer.get("id")) is not int or answer["id"] != request_id:
        return None
    if ("result" in answer) == ("error" in answer):
        return None
    if "error" in answer:
        error = answer["error"]
        if not isinstance(error, dict) or type(error.get("code")) is not int:
            return None
        if not isinstance(error.get("message"), str):
            return None
    return answer


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _cut(text: str) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= _MAX_NODE_MESSAGE else text[:_MAX_NODE_MESSAGE] + "..."
