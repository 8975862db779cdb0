"""Retrying JSON-RPC calls through web3: transport failures, node errors and garbage become ChainErrors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
from web3.exceptions import (
    BadFunctionCallOutput,
    BadResponseFormat,
    BlockNotFound,
    ContractLogicError,
    Web3Exception,
    Web3RPCError,
)

from chains.errors import ChainDataError, ChainUnavailable
from chains.evm.provider import ResponseTooLarge
from chains.retry import RPC_BACKOFF, Retryable, retrying

T = TypeVar("T")

# Transport trouble worth another try: the node may come back. Everything else is an answer.
_TRANSIENT = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError, ConnectionError)
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_MAX_NODE_MESSAGE = 200


async def call_with_retries(label: str, what: str, make: Callable[[], Awaitable[T]], retries: int) -> T:
    """Await `make()` up to `1 + retries` times, backing off (chains.retry) between transient failures.

    `label` names the deployment in error details and `what` the call. Never puts the RPC URL
    into a detail (it may hold a key): aiohttp's own messages do, so only types and statuses are
    reported. Raises ChainUnavailable when the node cannot be reached or keeps failing,
    ChainDataError when it answers with something we cannot use.
    """
    return await retrying(
        lambda: _attempt(label, what, make),
        retries=retries,
        backoff=RPC_BACKOFF,
        give_up=lambda reason, attempts: ChainUnavailable(
            f"{label}: {what} failed after {attempts} attempt(s): {reason}"
        ),
    )


async def _attempt(label: str, what: str, make: Callable[[], Awaitable[T]]) -> T:
    """One call: transient failures become Retryable, every other failure its ChainError."""
    try:
        return await make()
    except _TRANSIENT as exc:
        raise Retryable("timed out" if isinstance(exc, TimeoutError) else type(exc).__name__) from exc
    except aiohttp.ClientResponseError as exc:
        # Not chained: aiohttp response errors repeat the full URL (and any key in it).
        if exc.status not in _RETRY_STATUS:
            raise ChainUnavailable(f"{label}: {what}: node answered HTTP {exc.status}") from None
        raise Retryable(f"HTTP {exc.status}") from None
    except (BlockNotFound, BadFunctionCallOutput, ContractLogicError) as exc:
        raise ChainDataError(f"{label}: {what}: {_node_message(exc)}") from exc
    except Web3RPCError as exc:
        raise ChainUnavailable(f"{label}: {what}: node error: {_node_message(exc)}") from exc
    except ResponseTooLarge as exc:
        raise ChainDataError(f"{label}: {what}: {exc}") from None
    except (BadResponseFormat, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ChainDataError(f"{label}: {what}: malformed JSON-RPC response") from exc
    except (Web3Exception, ValueError, TypeError, KeyError) as exc:
        # web3's formatters choke on results that are not the hex they expect
        raise ChainDataError(f"{label}: {what}: unusable response ({type(exc).__name__})") from exc


def _node_message(exc: Exception) -> str:
    """The node's own message, cut short; web3 sometimes wraps it in a dict."""
    message = exc.args[0] if exc.args else type(exc).__name__
    if isinstance(message, dict):
        message = message.get("message", type(exc).__name__)
    text = str(message)
    return text if len(text) <= _MAX_NODE_MESSAGE else text[:_MAX_NODE_MESSAGE] + "..."
