"""The ASGI layer in front of the whole app: who the client is, which budget it spends, 429 or headers.

It wraps Litestar's own handler (before routing), so it runs for every HTTP request, 404s included,
and its 429 is written here without touching the app. Every answer it lets through carries the
IETF RateLimit fields of its budget (draft-ietf-httpapi-ratelimit-headers-11/-12):
`RateLimit-Policy: "api";q=1200;w=60` and `RateLimit: "api";r=1187;t=1`; a refusal also carries
`Retry-After` in whole seconds. In process the cost is a few dict lookups and some arithmetic.
"""

from __future__ import annotations

import json
from typing import cast

from litestar.types import ASGIApp, HTTPResponseStartEvent, HTTPScope, Message, Receive, Scope, Send

from portal.clients import ClientResolver
from portal.ratelimit.buckets import Decision
from portal.ratelimit.limiter import Limiter
from portal.ratelimit.routes import ADMIN, ADMIN_FAILURES, CHALLENGES_ALL, route_class

WHAT = {
    "api": "requests",
    "static": "static files",
    "pages": "page and partial requests",
    "expensive": "requests of evidence, history and attestation lists",
    "signatures": "guardian signature submissions",
    "admin": "admin requests",
    "admin_failures": "failed admin logins",
    "challenges": "public challenges",
}


def rate_headers(d: Decision) -> list[tuple[bytes, bytes]]:
    """The RateLimit-Policy and RateLimit fields of a decision."""
    p = d.policy
    limit = b"%b%d;t=%d" % (p.field_prefix, d.remaining, d.reset)
    return [(b"ratelimit-policy", p.field_policy), (b"ratelimit", limit)]


def refusal_headers(d: Decision) -> dict[str, str]:
    """Retry-After and the RateLimit fields of a refused request, as a handler's headers."""
    return {"Retry-After": str(d.retry_after), **{k.decode(): v.decode() for k, v in rate_headers(d)}}


def refusal_detail(d: Decision) -> str:
    p = d.policy
    if d.limited_by == CHALLENGES_ALL:
        return f"too many public challenges from all clients together; retry in {d.retry_after} s"
    what = WHAT.get(p.name, "requests")
    return f"at most {p.requests} {what} per {p.window} s from one client; retry in {d.retry_after} s"


async def refuse(method: str, send: Send, d: Decision) -> None:
    """A 429 with {"error": {"code": "rate_limited", "detail"}}, Retry-After and the RateLimit fields."""
    body = json.dumps({"error": {"code": "rate_limited", "detail": refusal_detail(d)}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(d.retry_after).encode()),
        (b"cache-control", b"no-store"),
        *rate_headers(d),
    ]
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": 429, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body, "more_body": False})


class RateLimitMiddleware:
    """Resolves the client (portal.clients), then, with a limiter, checks its route class's budget."""

    def __init__(self, app: ASGIApp, resolver: ClientResolver, limiter: Limiter | None) -> None:
        self.app = app
        self.resolver = resolver
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = self.resolver.resolve(scope)
        limiter = self.limiter
        if limiter is None:
            await self.app(scope, receive, send)
            return
        method = cast("HTTPScope", scope)["method"]
        name = route_class(method, scope["path"])
        if name == ADMIN:
            await self._admin(scope, receive, send, key, limiter)
            return
        policy = limiter.policies[name]
        if limiter.shared is None:
            decision = limiter.local.take(policy, key)
        else:
            decision = await limiter.shared.check(((policy, key),))
        if not decision.allowed:
            await refuse(method, send, decision)
            return
        extra = rate_headers(decision)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _admin(self, scope: Scope, receive: Receive, send: Send, key: str, limiter: Limiter) -> None:
        """Admin routes: their budget, and none at all while the client's failed logins are used up;
        each 401 answer spends one of those."""
        method, failures = cast("HTTPScope", scope)["method"], limiter.policies[ADMIN_FAILURES]
        looked = await limiter.check(((failures, key),), spend=False)
        if not looked.allowed:
            await refuse(method, send, looked)
            return
        decision = await limiter.check(((limiter.policies[ADMIN], key),))
        if not decision.allowed:
            await refuse(method, send, decision)
            return
        extra = rate_headers(decision)

        async def send_counting_failures(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
                if message["status"] == 401:
                    await limiter.check(((failures, key),))
            await send(message)

        await self.app(scope, receive, send_counting_failures)
