"""Bounded HTTP bodies for the Esplora and Bitcoin Core clients (their retries are in chains.retry)."""

from __future__ import annotations

import httpx

from chains.errors import ChainDataError


async def read_capped(response: httpx.Response, max_bytes: int, where: str) -> bytes:
    """The body of a streamed `response`, refused as soon as it grows past `max_bytes`
    (a hostile server must not make us buffer gigabytes before we notice)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise ChainDataError(f"{where}: body larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
