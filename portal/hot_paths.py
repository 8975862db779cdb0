"""The crowd's requests answered in front of routing, from the web process's view (reserves.read.hot).

`GET` (and so `HEAD`) of the newest attestation, an attestation by id the view holds, the summary
and the overview's first screen (`/partials/summary`) are answered here as bytes prepared once: the same bytes, ETag,
Cache-Control and 304 as their Litestar handlers give (they stay the documented routes and the
fallback), and gzip made once per version instead of once per request. Anything else (another query
string, a view not read yet, an id not in memory, an error) goes on to the app unchanged.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import datetime, timezone

import msgspec
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

from portal.conditional import FRESH, IMMUTABLE, accepts_gzip, matches
from reserves.read.hot import Doc, HotView
from reserves.read.views import DashboardView

LATEST = "/api/v1/attestations/latest"
BY_ID = "/api/v1/attestations/"
SUMMARY = "/api/v1/summary"
PAGES = {"/partials/summary": "_summary.html"}
_JSON = b"application/json"
_HTML = b"text/html; charset=utf-8"
_GZIP_MIN = 1024  # as the app's own gzip layer: smaller bodies are sent as they are
_MAX_GZIPPED = 256


class HotPaths:
    def __init__(
        self, app: ASGIApp, hot: Callable[[Scope], HotView], render: Callable[[Scope, str, DashboardView], bytes]
    ):
        self.app = app
        self.hot = hot  # the HotView of the app that received the request
        self.render = render  # (scope, template, view) -> the page's bytes
        self._gzipped: dict[str, bytes] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            http: HTTPScope = scope  # type: ignore[assignment]
            if http["method"] == "GET":
                answer = self._answer(http)
                if answer is not None:
                    # Named as the route that would have answered (portal.observe counts by route).
                    path = http["path"]
                    http["path_template"] = (
                        BY_ID + "{attestation_id}" if path.startswith(BY_ID) and path != LATEST else path
                    )
                    await self._send(http, send, *answer)
                    return
        await self.app(scope, receive, send)

    def _answer(self, scope: HTTPScope) -> tuple[bytes, bytes, str, str] | None:
        """(body, content type, ETag, Cache-Control) when the view can answer, else None."""
        path, query = scope["path"], scope["query_string"]
        hot = self.hot(scope)
        if path == LATEST:
            final = {b"": False, b"final=true": True, b"final=false": False}.get(query)
            doc = None if final is None else hot.peek_latest(final=final)
            return None if doc is None else (doc.body, _JSON, doc.etag, FRESH)
        if query:
            return None
        if path.startswith(BY_ID) and len(path) == len(BY_ID) + 64:
            doc = hot.peek(path[len(BY_ID) :])
            return None if doc is None else (doc.body, _JSON, doc.etag, _cache_of(doc))
        if path == SUMMARY:
            view = hot.peek_dashboard(datetime.now(timezone.utc))
            if view is None:
                return None
            body, etag = hot.memo(("summary", view.age_seconds, view.status), lambda: _encode(view))
            return body, _JSON, etag, FRESH
        template = PAGES.get(path)
        if template is not None:
            view = hot.peek_dashboard(datetime.now(timezone.utc))
            if view is None:
                return None
            body, etag = hot.memo((template, view.age_seconds, view.status), lambda: self.render(scope, template, view))
            return body, _HTML, etag, FRESH
        return None

    async def _send(
        self, scope: HTTPScope, send: Send, body: bytes, content_type: bytes, etag: str, cache_control: str
    ) -> None:
        request_headers = scope["headers"]
        headers = [(b"etag", etag.encode()), (b"cache-control", cache_control.encode())]
        if len(body) >= _GZIP_MIN:
            headers.append((b"vary", b"Accept-Encoding"))  # on the 304 too (RFC 9110 15.4.5)
        if matches(_header(request_headers, b"if-none-match"), etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        if len(body) >= _GZIP_MIN and accepts_gzip(_header(request_headers, b"accept-encoding")):
            body = self._gzip(etag, body)
            headers.append((b"content-encoding", b"gzip"))
        headers += [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    def _gzip(self, etag: str, body: bytes) -> bytes:
        zipped = self._gzipped.get(etag)
        if zipped is None:
            if len(self._gzipped) >= _MAX_GZIPPED:
                self._gzipped.clear()
            zipped = self._gzipped[etag] = gzip.compress(body, compresslevel=6, mtime=0)
        return zipped


def _cache_of(doc: Doc) -> str:
    return FRESH if doc.has_guardian_set else IMMUTABLE


def _encode(view: object) -> bytes:
    return msgspec.json.encode(view)


def _header(headers, name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None
