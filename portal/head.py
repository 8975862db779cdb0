"""HEAD wherever GET is: a HEAD request is routed as a GET and its response body is dropped.

Litestar routes HEAD only to handlers declared for it, so without this every GET route answers
HEAD with 405. The response keeps GET's status and headers (Content-Length included), as RFC 9110
9.3.2 asks. This wraps the app's ASGI handler, in front of routing.
"""

from __future__ import annotations

from typing import cast

from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or cast("HTTPScope", scope)["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        # A copy: the server reads the method from its own scope to know that no body follows (uvicorn
        # then expects none); mutated, it waits for GET's Content-Length bytes and resets the connection.
        outer, scope = scope, cast("Scope", {**scope, "method": "GET"})
        ended = False

        async def send_headers_only(message: Message) -> None:
            nonlocal ended
            if ended:
                raise _Ended  # a stream (the event stream never ends): stop making it
            if message["type"] == "http.response.body":
                ended = True
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await self.app(scope, receive, send_headers_only)
        except _Ended:
            pass
        except Exception:
            if not ended:
                raise
        finally:
            if "path_template" in scope:  # the route that answered, for portal.observe's count
                outer["path_template"] = scope["path_template"]


class _Ended(Exception):
    """Raised into a response still sending after a HEAD request's answer was complete."""
