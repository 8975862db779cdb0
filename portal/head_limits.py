"""Limits on a request's head (its line and headers) at the HTTP server, which uvicorn lacks.

uvicorn (httptools) has no header-read timeout and no bound on header size or count: a client
trickling a header line by line holds its connection forever, and one sending megabytes of
headers is buffered. `LimitedHttpToolsProtocol` is uvicorn's own protocol plus three limits:

- the head must be complete within `timeout` seconds of the connection, or of the end of the
  previous answer on a kept-alive connection: else the connection is closed;
- at most `max_bytes` of request line and headers, at most `max_count` headers: else 431 and close.

`uvicorn_options(portal_settings)` gives `http=` and `limit_concurrency=` (503 beyond it) for
`uvicorn.run`; a reverse proxy in front (nginx's client_header_timeout) is a second line, not the only.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from reserves.settings.model import PortalSettings


@dataclass(frozen=True)
class HeadLimits:
    timeout: float
    max_bytes: int
    max_count: int


class _HeadTooLarge(Exception):
    pass


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a head timeout and head size and count limits."""

    def __init__(self, *args: Any, limits: HeadLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_head = False
        self._head_raw = 0  # bytes received since the head began (bounds a header that never ends)
        self._head_size = 0  # bytes of url, names and values parsed
        self._head_count = 0
        self._too_large = False

    # The head's clock: from the connection or the previous answer's end to on_headers_complete.
    def _arm(self) -> None:
        self._disarm()
        self._in_head, self._head_raw = True, 0
        self._head_timer = self.loop.call_later(self.limits.timeout, self._head_expired)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_expired(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Nothing parsed is waiting for an answer: the next request's head has its own time.
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_size, self._head_count = True, 0, 0
        if self._head_timer is None:  # a pipelined request began while another was answered
            self._head_timer = self.loop.call_later(self.limits.timeout, self._head_expired)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_raw += len(data)
        super().data_received(data)
        # Still in the head after more than the limit (plus room for a body sent with it): a header
        # that never ends would otherwise be buffered whole.
        if self._in_head and self._head_raw > self.limits.max_bytes and not self.transport.is_closing():
            self._too_large = True
            self.send_400_response("")

    def on_url(self, url: bytes) -> None:
        self._count(len(url), 0)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value), 1)
        super().on_header(name, value)

    def _count(self, size: int, headers: int) -> None:
        self._head_size += size
        self._head_count += headers
        if self._head_size > self.limits.max_bytes or self._head_count > self.limits.max_count:
            self._too_large = True
            raise _HeadTooLarge  # httptools stops parsing; uvicorn answers through send_400_response

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm()
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        if not self._too_large:
            super().send_400_response(msg)
            return
        text = b"request header fields too large"
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: " + str(len(text)).encode() + b"\r\nconnection: close\r\n\r\n" + text
        )
        self.transport.close()


def uvicorn_options(portal: PortalSettings) -> dict[str, Any]:
    """The web role's uvicorn.run keywords for these limits (picklable: web workers are spawned)."""
    limits = HeadLimits(portal.header_timeout_seconds, portal.max_header_bytes, portal.max_header_count)
    return {"http": partial(LimitedHttpToolsProtocol, limits=limits), "limit_concurrency": portal.max_connections}
