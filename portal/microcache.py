"""A one-second cache of the public read-only answers, in front of routing, per web process.

A crowd asks the same few URLs over and over (the dashboard's panels, the keys, the supply, the
proofs): each is computed from the database at most once per `ttl_seconds` per process, and
concurrent misses for one URL wait for the first instead of each querying (no stampede). So the
database's load under a crowd is bounded by the number of distinct URLs, not of clients, and what
is served is never more than `ttl_seconds` older than the database.

Only what is safe to share is kept: GET answers with status 200, no `Set-Cookie`, no
`Cache-Control: no-store`/`private`, no `Vary` beyond `Accept-Encoding`, to requests without
`Authorization` or `Cookie`, under the public prefixes and the pages, at most `max_body` bytes each and
`max_bytes` in all (least recently used first out). Every answer kept carries an `ETag` (a hash of
its bytes when the app gave none) and answers `If-None-Match` with 304, computed or replayed. The
key is the path, the query string and whether the client takes gzip (a request with several
Accept-Encoding headers is never shared). A write (any other method) that succeeds through this
process empties the cache, so a client reads its own writes at once; writes elsewhere show within
`ttl_seconds`.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from portal.conditional import accepts_gzip, matches
from reserves.read.hot import etag_of

PUBLIC_PREFIXES = ("/api/v1/", "/partials/", "/feed.atom", "/attestations")
# The pages (portal.pages): the same bytes for every reader, htmx's requests included. They read only
# the parameters named here and ignore any other, so the others are not part of the key: a client
# adding `?x=<random>` gets the page everyone gets, not a fresh computation.
PAGES = frozenset(
    {"/", "/reserves", "/supply", "/proofs", "/history", "/monitor", "/reconciliation", "/trust", "/prices"}
)
PAGE_PARAMS = {"/attestations": (b"before",), "/history": (b"range", b"series"), "/prices": (b"range",)}
NEVER = ("/api/v1/events/stream",)  # a stream never ends
WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class _Entry:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str | None
    expires: float
    route: str | None = None  # the route template that answered (portal.observe counts by route)


class MicroCache:
    def __init__(
        self,
        app: ASGIApp,
        *,
        ttl_seconds: float = 1.0,
        max_body: int = 1024 * 1024,
        max_bytes: int = 32 * 1024 * 1024,
    ):
        self.app = app
        self.ttl, self.max_body, self.max_bytes = ttl_seconds, max_body, max_bytes
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._bytes = 0
        self._pending: dict[tuple, asyncio.Event] = {}

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope) if scope["type"] == "http" else None
        if key is None:
            if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):  # type: ignore[typeddict-item]
                await self.app(scope, receive, self._clearing_on_success(send))
            else:
                await self.app(scope, receive, send)
            return
        http: HTTPScope = scope  # type: ignore[assignment]
        entry = self._fresh(key)
        if entry is None and key in self._pending:  # someone is computing it: wait for them
            try:
                await asyncio.wait_for(self._pending[key].wait(), WAIT_SECONDS)
            except TimeoutError:
                pass
            entry = self._fresh(key)
        if entry is not None:
            if entry.route is not None:
                http["path_template"] = entry.route
            await _replay(http, send, entry)
            return
        event = self._pending.setdefault(key, asyncio.Event())

        def release() -> None:  # the others stop waiting: stored, or known not to be storable
            if self._pending.get(key) is event:
                del self._pending[key]
            event.set()

        try:
            await self.app(scope, receive, self._recording(key, scope, send, release))
        finally:
            release()

    def _clearing_on_success(self, send: Send) -> Send:
        """A write that succeeded through this process empties the cache: its client reads it at once."""

        async def clearing(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                self.clear()
            await send(message)

        return clearing

    def _key(self, scope: Scope) -> tuple | None:
        http: HTTPScope = scope  # type: ignore[assignment]
        path = http["path"]
        public = path in PAGES or path.startswith(PUBLIC_PREFIXES)
        if http["method"] != "GET" or not public or path.startswith(NEVER):
            return None
        encodings = []
        for name, value in http["headers"]:
            name = name.lower()
            if name in (b"authorization", b"cookie"):
                return None
            if name == b"accept-encoding":
                encodings.append(value)
        if len(encodings) > 1:
            return None  # which one the app reads is its business: never shared
        query = http["query_string"]
        if query and (path in PAGES or path.startswith("/attestations")):
            query = page_query(path, query)
        return path, query, bool(encodings) and accepts_gzip(encodings[0].decode("latin-1"))

    def _fresh(self, key: tuple) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def _recording(self, key: tuple, scope: Scope, send: Send, release: Callable[[], None]) -> Send:
        state: dict = {"keep": False, "headers": None, "chunks": [], "size": 0, "start": None}

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                # Never keep a gzip body under the key of a client that did not take gzip (the app's
                # own reading of Accept-Encoding may differ from ours): plain clients share that key.
                gzipped = any(k.lower() == b"content-encoding" and b"gzip" in v.lower() for k, v in headers)
                state["keep"] = message["status"] == 200 and _shareable(headers) and (key[2] or not gzipped)
                state["headers"] = headers
                if not state["keep"]:
                    release()  # a slow reader of an answer never stored holds no one else
                    await send(message)
                    return
                state["start"] = message  # held until the body says whether it comes whole
                return
            if message["type"] == "http.response.body" and state["keep"]:
                body, more = message.get("body", b""), message.get("more_body", False)
                start, state["start"] = state["start"], None
                if start is not None and not more:
                    await self._whole(key, scope, send, start, state["headers"], body, release)
                    return
                if start is not None:
                    await send(start)  # a streamed answer goes as it comes
                state["size"] += len(body)
                if state["size"] > self.max_body:
                    state["keep"], state["chunks"] = False, []
                    release()
                else:
                    state["chunks"].append(body)
                    if not more:
                        self._store(key, state["headers"], b"".join(state["chunks"]), scope.get("path_template"))
            await send(message)

        return record

    async def _whole(
        self,
        key: tuple,
        scope: Scope,
        send: Send,
        start: Message,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        release: Callable[[], None],
    ) -> None:
        """An answer whole in one message: tagged (an ETag of its bytes when the app gave none),
        kept when it fits, and a 304 when the client already holds it."""
        if _etag(headers) is None:
            headers = [*headers, (b"etag", etag_of(body).encode())]
        if len(body) <= self.max_body:
            self._store(key, headers, body, scope.get("path_template"))
        else:
            release()
        entry = _Entry(headers, body, _etag(headers), 0.0, None)
        await _replay(scope, send, entry)  # type: ignore[arg-type]

    def _store(self, key: tuple, headers: list[tuple[bytes, bytes]], body: bytes, route: str | None = None) -> None:
        etag = _etag(headers)
        self._drop(key)
        self._entries[key] = _Entry(headers, body, etag, time.monotonic() + self.ttl, route)
        self._bytes += len(body)
        while self._bytes > self.max_bytes and self._entries:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)


def _etag(headers: list[tuple[bytes, bytes]]) -> str | None:
    return next((v.decode("latin-1") for k, v in headers if k.lower() == b"etag"), None)


def _shareable(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        name, value = name.lower(), value.lower()
        if name == b"set-cookie":
            return False
        if name == b"cache-control" and (b"no-store" in value or b"private" in value):
            return False
        if name == b"vary" and any(v.strip() not in (b"accept-encoding", b"") for v in value.split(b",")):
            return False
    return True


async def _replay(scope: HTTPScope, send: Send, entry: _Entry) -> None:
    if entry.etag is not None:
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"if-none-match"), None)
        if matches(given, entry.etag):
            kept = [(k, v) for k, v in entry.headers if k.lower() in (b"etag", b"cache-control", b"vary")]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
    await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
    await send({"type": "http.response.body", "body": entry.body, "more_body": False})


def page_query(path: str, query: bytes) -> bytes:
    """The part of a page's query string the page reads (PAGE_PARAMS), in the order given."""
    names = PAGE_PARAMS.get(path, ())
    return b"&".join(p for p in query.split(b"&") if p.partition(b"=")[0] in names)
