"""The admin guard: `Authorization: Bearer <key>`, the scope each admin route declares, and who called.

Every admin route declares its scope in `opt` (`opt=READ`, `OPERATE`, `GUARDIAN` or `WEBHOOKS`);
a route without one is refused to every key (fail closed). Both roles' apps keep an
`AdminKeyring` in `app.state.admin_keyring`. Answers: 404 when the admin API is off (no token,
no active key), 401 `unauthorized` for a missing or wrong key, 403 `insufficient_scope`. A failed
authentication is logged as a warning with the client address and a reason, never with what was
presented, and counted. The guard leaves the caller in `request.state`; handlers that write get it
through the `caller` dependency and audit its name (`admin-key:<name>`), never its address.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler

from reserves.admin.errors import InsufficientScope
from reserves.admin.keyring import AdminKeyring, Principal
from reserves.admin.keys import key_id_of

log = logging.getLogger("portal.admin")

MAX_AUTH_HEADER = 1024
READ: dict[str, Any] = {"scope": "read"}
OPERATE: dict[str, Any] = {"scope": "operate"}
GUARDIAN: dict[str, Any] = {"scope": "guardian"}
WEBHOOKS: dict[str, Any] = {"scope": "webhooks"}
STATE_KEY = "admin_principal"


def bearer(header: str | None) -> tuple[str | None, str]:
    """The credential of a `Bearer` header, or None and why not (a reason safe to log)."""
    if header is None:
        return None, "no Authorization header"
    if len(header) > MAX_AUTH_HEADER:
        return None, "Authorization header too long"
    if not header.isascii() or not header.isprintable():
        return None, "Authorization header not printable ASCII"
    scheme, _sep, rest = header.partition(" ")
    credential = rest.strip(" ")
    if scheme.lower() != "bearer" or not credential or " " in credential:
        return None, "not a Bearer credential"
    return credential, ""


def _refuse(connection: ASGIConnection, keyring: AdminKeyring, reason: str) -> NotAuthorizedException:
    count = keyring.count_failure()
    client = connection.client.host if connection.client else "unknown"
    log.warning("admin authentication failed from %s: %s (%d failures since start)", client, reason, count)
    return NotAuthorizedException("a valid bearer key is required", headers={"WWW-Authenticate": "Bearer"})


def needed_scope(connection: ASGIConnection, handler: BaseRouteHandler) -> str | None:
    """The scope `handler` declares; Litestar's own OPTIONS answers (which methods exist) need `read`."""
    scope = handler.opt.get("scope")
    if scope is None and connection.scope.get("method") == "OPTIONS":
        return "read"
    return scope


async def admin_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    keyring: AdminKeyring = connection.app.state.admin_keyring
    given = connection.headers.getall("authorization", [])
    # Two Authorization headers are ambiguous (a proxy may read the other one): refused, never first-wins.
    if len(given) > 1:
        credential, reason = None, f"{len(given)} Authorization headers"
    else:
        credential, reason = bearer(given[0] if given else None)
    principal = await keyring.authenticate(credential) if credential else None
    if principal is None:
        if not await keyring.enabled():
            raise NotFoundException("the admin API is off (no admin token or admin key configured)")
        if credential:
            key_id = key_id_of(credential)
            reason = f"unknown, revoked or wrong key rpk_{key_id}" if key_id else "not a known token or key"
        raise _refuse(connection, keyring, reason)
    needed = needed_scope(connection, handler)
    if needed not in principal.scopes:
        log.warning("admin key %s lacks scope %s", principal.name, needed)
        raise InsufficientScope(f"this key lacks the {needed or 'required'} scope")
    connection.state[STATE_KEY] = principal


def caller_of(request: Request) -> Principal:
    """The principal the guard authenticated for this request."""
    return request.state[STATE_KEY]


CALLER = {"caller": Provide(caller_of, sync_to_thread=False)}
Caller = NamedDependency[Principal]
