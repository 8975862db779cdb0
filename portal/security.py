"""Security headers on every HTTP answer, and CORS for the public read-only API: one pure ASGI layer.

Every header is computed once, as bytes, when the app is built; per request the layer only picks one
of three prepared lists and appends it to `http.response.start`, so it costs microseconds. It wraps
the whole Litestar app (`secure`), so 404s for unknown paths, errors, static files and the event
stream get the headers too, not only the routes a handler answers.

CORS: `GET` and `HEAD` under `/api/v1/`, and of the badge and the feed (`EMBEDDABLE`), answer
`Access-Control-Allow-Origin: *` and `Cross-Origin-Resource-Policy: cross-origin` (holders' tools
run in browsers on other sites, issuers show the badge with `<img>` on theirs; the answers are
public and carry no credentials), and a preflight for them is answered here. Every other method
and path (the admin API, `POST /api/v1/challenges`, a preflight asking for `POST`) gets no CORS
header at all and `Cross-Origin-Resource-Policy: same-origin`, so a browser on another site can
neither read an admin answer nor send a non-simple request nor embed a page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.types import (
        ASGIApp,
        HTTPResponseBodyEvent,
        HTTPResponseStartEvent,
        HTTPScope,
        Message,
        Receive,
        Scope,
        Send,
    )

Headers = list[tuple[bytes, bytes]]

PUBLIC_API = "/api/v1/"
EMBEDDABLE = frozenset({"/badge.svg", "/feed.atom"})  # pages other sites embed or fetch
CORS_METHODS = frozenset({"GET", "HEAD"})

# No inline script or style, no eval, nothing from another origin. The charts are inline SVG
# markup (not an image), so `img-src` needs no `data:`.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Powerful features the portal never uses, denied to it and to anything it could embed. Only
# names Chromium knows: an unknown one is logged as a console error on every page.
DENIED_FEATURES = (
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
PERMISSIONS_POLICY = ", ".join(f"{name}=()" for name in DENIED_FEATURES)
HSTS = "max-age=31536000"  # one year; subdomains are the operator's to decide, not ours
# Response headers a cross-origin script may read beyond the CORS-safelisted ones.
EXPOSED = "ETag, Link, RateLimit, RateLimit-Policy, Retry-After, X-Request-ID"
# Request headers the holders' tools send on a GET: revalidation, and the event stream's resume.
ALLOWED_REQUEST_HEADERS = "Accept, Cache-Control, If-Modified-Since, If-None-Match, Last-Event-ID"
PREFLIGHT_MAX_AGE = "7200"  # Chromium's cap


def _encode(pairs: list[tuple[str, str]]) -> Headers:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in pairs]


def security_headers(*, hsts: bool) -> list[tuple[str, str]]:
    """The headers every answer carries; `Strict-Transport-Security` only when served over TLS."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),  # frame-ancestors for browsers that predate it
        ("Referrer-Policy", "no-referrer"),
        ("Permissions-Policy", PERMISSIONS_POLICY),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if hsts:
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


class SecurityHeaders:
    """ASGI middleware: the security headers on every HTTP answer, CORS on the public read-only API."""

    __slots__ = ("_app", "_cors", "_other", "_preflight", "_public")

    def __init__(self, app: ASGIApp, *, hsts: bool = False, cors: bool = True) -> None:
        self._app = app
        self._cors = cors
        common = security_headers(hsts=hsts)
        # CORP only governs no-cors loads (an <img> or <script> elsewhere): the public API is public.
        self._other = _encode([*common, ("Cross-Origin-Resource-Policy", "same-origin")])
        self._public = _encode(
            [
                *common,
                ("Cross-Origin-Resource-Policy", "cross-origin"),
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Expose-Headers", EXPOSED),
            ]
        )
        self._preflight = _encode(
            [
                *common,
                ("Cross-Origin-Resource-Policy", "cross-origin"),
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Methods", "GET, HEAD"),
                ("Access-Control-Allow-Headers", ALLOWED_REQUEST_HEADERS),
                ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE),  # a 204 carries no Content-Length (RFC 9110)
            ]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        extra = self._other
        if self._cors and _public(scope["path"]):
            method = cast("HTTPScope", scope)["method"]
            if method in CORS_METHODS:
                extra = self._public
            elif method == "OPTIONS" and _preflight_for_read(scope):
                start: HTTPResponseStartEvent = {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": self._preflight,
                }
                body: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}
                await send(start)
                await send(body)
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self._app(scope, receive, send_with_headers)


def _public(path: str) -> bool:
    """The public API, or a page other sites embed (a trailing slash routes to the same page)."""
    return path.startswith(PUBLIC_API) or (path in EMBEDDABLE or path.rstrip("/") in EMBEDDABLE)


def _preflight_for_read(scope: Scope) -> bool:
    """A CORS preflight (an Origin and the method it asks for) that asks for GET or HEAD."""
    origin = asked = None
    for name, value in scope["headers"]:
        if name == b"origin":
            origin = value
        elif name == b"access-control-request-method":
            asked = value
    return origin is not None and asked in (b"GET", b"HEAD")


def secure(app: Litestar, *, hsts: bool = False, cors: bool = True) -> Litestar:
    """Wrap `app`'s whole ASGI handler (as Litestar wraps its own CORS middleware), so that answers
    no route handler gives (unknown paths, 405s, errors from the router) carry the headers too."""
    app.asgi_handler = SecurityHeaders(app.asgi_handler, hsts=hsts, cors=cors)
    return app
