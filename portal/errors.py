"""The one place that maps errors to responses: {"error": {"code", "detail"}} with a 4xx status."""

from __future__ import annotations

import logging
import re

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import SQLAlchemyError

from reserves.errors import Conflict, Forbidden, InvalidInput, NotFound, ReservesError, TooManyRequests

log = logging.getLogger(__name__)

_STATUS = {NotFound: 404, InvalidInput: 400, Conflict: 409, Forbidden: 403, TooManyRequests: 429}


def _body(code: str, detail: str, extra: dict | None = None) -> dict:
    err = {"code": code, "detail": detail}
    if extra:
        err.update(extra)
    return {"error": err}


def reserves_error(_: Request, exc: ReservesError) -> Response:
    status = next((s for t, s in _STATUS.items() if isinstance(exc, t)), 503)
    retry_after = getattr(exc, "retry_after", None)  # a busy server says when to come back
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return Response(_body(exc.code, exc.detail), status_code=status, headers=headers)


def http_error(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, ValidationException):
        # Litestar's own parameter validation: which parameter was wrong (by the name the client sent)
        # and why, nothing more. Its detail would echo the whole query string back.
        fields = [
            {"key": _client_name(request, e.get("key")), "message": e.get("message")}
            for e in (exc.extra or [])
            if isinstance(e, dict)
        ]
        # The route's template, not the path: a path parameter is client text too.
        route = request.scope.get("path_template") or "this path"
        detail = f"invalid parameters for {request.method} {str(route)[:MAX_PATH_ECHO]}"
        missing = _MISSING.match(exc.detail or "")
        if not fields and missing:  # Litestar names a missing parameter in its detail only, then the URL
            fields = [{"key": missing["name"], "message": f"missing required {missing['kind']} parameter"}]
        return Response(_body("invalid_input", detail, {"fields": fields}), status_code=400)
    code = {
        400: "invalid_input",
        401: "unauthorized",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        429: "rate_limited",
    }.get(exc.status_code, "http_error")
    return Response(
        _body(code, exc.detail or "request failed"),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None) or None,
    )


_MISSING = re.compile(r"Missing required (?P<kind>\w+) parameter '(?P<name>[^']{1,100})' for path ")
MAX_PATH_ECHO = 200  # characters of the route an error names; nothing the client sent is echoed


def _client_name(request: Request, key: object) -> object:
    """The query, header or path name of the handler's parameter `key` (`from`, not `start`)."""
    try:
        parameter = request.route_handler.parsed_fn_signature.parameters.get(str(key))
    except (KeyError, AttributeError):  # no route matched: nothing to translate
        return key
    alias = getattr(getattr(parameter, "kwarg_definition", None), "name", None)
    return alias or key


def storage_error(_: Request, exc: SQLAlchemyError) -> Response:
    # The database is down or locked: our fault, not the client's, and worth a retry later.
    log.warning("database error: %s", type(exc).__name__)
    return Response(
        _body("storage", "the database is unavailable; try again shortly"),
        status_code=503,
        headers={"Retry-After": "5"},
    )


def too_deep(_: Request, exc: RecursionError) -> Response:
    # A request body nested deeper than the JSON decoder can recurse (a few KB of brackets): the
    # client's error; the limit itself is clamped by chains.safety so it never becomes a crash.
    log.warning("request refused: %s", exc)
    return Response(_body("invalid_input", "the request is nested too deeply"), status_code=400)


def internal_error(_: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return Response(_body("internal", "internal error"), status_code=HTTP_500_INTERNAL_SERVER_ERROR)


HANDLERS: ExceptionHandlersMap = {
    ReservesError: reserves_error,
    HTTPException: http_error,
    SQLAlchemyError: storage_error,
    RecursionError: too_deep,
    Exception: internal_error,
}
