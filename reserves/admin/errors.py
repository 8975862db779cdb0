"""Errors of admin keys; every one is a ReservesError with a code."""

from __future__ import annotations

from reserves.errors import Conflict, Forbidden, InvalidInput, NotFound, ReservesError


class AdminKeyError(ReservesError):
    """Base of the admin package's errors."""

    code = "admin_key_error"


class InvalidAdminKey(AdminKeyError, InvalidInput):
    """A key's name or scopes are not acceptable; `detail` says why."""

    code = "invalid_admin_key"


class AdminKeyExists(AdminKeyError, Conflict):
    code = "admin_key_exists"


class UnknownAdminKey(AdminKeyError, NotFound):
    code = "unknown_admin_key"


class InsufficientScope(AdminKeyError, Forbidden):
    """An authenticated key without the scope the route needs."""

    code = "insufficient_scope"
