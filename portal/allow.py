"""OPTIONS answers `Allow` with every method of the path, as the OpenAPI document lists them.

Litestar builds a path's OPTIONS handler when the path's first handler is registered; methods
registered later on the same path (a controller's GET and POST) are missing from its `Allow`.
This pure-ASGI layer answers those OPTIONS requests itself from the routes the app really has;
every other request passes with one comparison.
"""

from __future__ import annotations

from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

_AUTO_OPTIONS = "options_handler"  # the name of the function Litestar generates for OPTIONS


class AllowHeader:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._methods: dict[str, str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":  # type: ignore[typeddict-item]
            await self.app(scope, receive, send)
            return
        handler = scope.get("route_handler")
        allow = self._allow(scope) if getattr(getattr(handler, "fn", None), "__name__", "") == _AUTO_OPTIONS else None
        if allow is None:
            await self.app(scope, receive, send)
            return
        start: HTTPResponseStartEvent = {"type": "http.response.start", "status": 204, "headers": [(b"allow", allow)]}
        end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(start)
        await send(end)

    def _allow(self, scope: Scope) -> bytes | None:
        if self._methods is None:
            routes = [r for r in scope["app"].routes if isinstance(r, HTTPRoute)]
            self._methods = {r.path_format: ", ".join(sorted(r.methods)) for r in routes}
        methods = self._methods.get(scope.get("path_template", ""))
        return None if methods is None else methods.encode()
