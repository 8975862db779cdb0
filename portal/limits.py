"""Request limits every route shares, as one pure-ASGI layer in front of the handlers.

- the query string's length (400 `invalid_input`: what a client's generated parameters exceed is
  their error like any other malformed parameter) and the path's (414 `uri_too_long`);
- a query parameter given twice (`?limit=1&limit=2`) is a 400, never last-wins: no parameter of
  ours takes a list;
- a request body (POST, PUT, PATCH, DELETE) is read here, at most `max_body` bytes (413), and must
  be JSON as portal.bodies says (415, 400), before Litestar or any rate limiter decodes it.

A browser asking for a page (Accept: text/html, a path outside the API) gets its refusal as a short
HTML page it can show; everyone else gets our JSON error shape.

A GET costs two length checks and, only when its query has a `&`, one split.
"""

from __future__ import annotations

import asyncio
import html
import json
from urllib.parse import unquote_plus

from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, ReceiveMessage, Scope, Send

from portal.bodies import BodyRefused, check_json_body

MAX_PATH_BYTES = 2048
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


_NOT_PAGES = ("/api/", "/admin", "/static/", "/metrics", "/healthz", "/readyz", "/schema")
_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bad request</title>'
    '<link rel="stylesheet" href="/static/portal.css"></head><body><main id="content"><h1>Bad request</h1>'
    '<p id="error-detail" class="error">{detail}</p><p><a href="{back}">The page with its defaults</a></p>'
    "</main></body></html>"
)


def wants_page(scope: Scope) -> bool:
    """A browser asking for a page, not the API: its refusal is better shown as HTML."""
    path = scope.get("path", "")
    return not path.startswith(_NOT_PAGES) and b"text/html" in (_header(scope, b"accept") or b"")


async def refuse(send: Send, status: int, code: str, detail: str, *, page_of: Scope | None = None) -> None:
    """Answer with our error shape ({"error": {"code", "detail"}}) straight from the ASGI layer, or,
    with `page_of` (a page's request, see `wants_page`), as a short HTML page saying the same."""
    if page_of is not None:
        back = html.escape(page_of["path"] if len(page_of["path"]) <= MAX_PATH_BYTES else "/")
        payload, kind = _PAGE.format(detail=html.escape(detail), back=back).encode(), b"text/html; charset=utf-8"
    else:
        payload, kind = json.dumps({"error": {"code": code, "detail": detail}}).encode(), b"application/json"
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", kind), (b"content-length", str(len(payload)).encode())],
    }
    body: HTTPResponseBodyEvent = {"type": "http.response.body", "body": payload, "more_body": False}
    await send(start)
    await send(body)


def repeated_parameter(query: bytes) -> str | None:
    """The first query parameter name given more than once, or None."""
    if b"&" not in query and b";" not in query:
        return None
    seen: set[str] = set()
    for part in query.replace(b";", b"&").split(b"&"):
        if not part:
            continue
        raw = part.split(b"=", 1)[0].decode("latin-1")
        name = unquote_plus(raw) if "%" in raw or "+" in raw else raw
        if name in seen:
            return name
        seen.add(name)
    return None


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


BODY_SECONDS = 30.0  # a whole request body, once its headers are in (64 KiB at most)


class RequestLimits:
    """The pure-ASGI layer; `max_query` and `max_body` in bytes."""

    def __init__(self, app: ASGIApp, max_query: int, max_body: int) -> None:
        self.app, self.max_query, self.max_body = app, max_query, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        page = scope if wants_page(scope) else None
        if len(query) > self.max_query:
            await refuse(send, 400, "invalid_input", f"the query string is over {self.max_query} bytes", page_of=page)
            return
        if len(scope.get("raw_path") or b"") > MAX_PATH_BYTES:
            await refuse(send, 414, "uri_too_long", f"the path is over {MAX_PATH_BYTES} bytes")
            return
        if "//" in scope["path"]:
            # Routing drops empty segments, so `/api/v1//history` would reach /api/v1/history while
            # every layer in front (rate-limit classes, caches, the stream's exclusion) saw another path.
            await refuse(send, 400, "invalid_input", "the path has an empty segment (//)")
            return
        name = repeated_parameter(query)
        if name is not None:
            detail = f"query parameter {name[:64]!r} given more than once"
            await refuse(send, 400, "invalid_input", detail, page_of=page)
            return
        if scope["method"] not in _BODY_METHODS:  # type: ignore[typeddict-item]  # http, checked above
            await self.app(scope, receive, send)
            return
        await self._with_body(scope, receive, send)

    async def _with_body(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await refuse(send, 413, "too_large", f"the body is over {self.max_body} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(BODY_SECONDS):  # a body trickled byte by byte holds nothing for long
                while True:
                    message = await receive()
                    if message["type"] != "http.request":  # the client left
                        return
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body:
                        await refuse(send, 413, "too_large", f"the body is over {self.max_body} bytes")
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await refuse(send, 408, "request_timeout", f"the body did not arrive within {BODY_SECONDS:g} s")
            return
        body = b"".join(chunks)
        if body:
            try:
                check_json_body(_header(scope, b"content-type"), body)
            except BodyRefused as exc:
                await refuse(send, exc.status, exc.code, exc.detail)
                return
        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body read once, whole, then whatever the client sends next."""
    sent = False

    async def replay() -> ReceiveMessage:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
