"""Corrections to the OpenAPI document Litestar generates, where it says less than the app does."""

from __future__ import annotations

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute


def declare_optional_bodies(app: Litestar) -> None:
    """Litestar marks every request body required; a handler whose `data` defaults to None takes none
    (POST /admin/v1/challenges without a body is a challenge with no address)."""
    paths = app.openapi_schema.paths or {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in paths:
            continue
        for handler in route.route_handlers:
            if not isinstance(handler, HTTPRouteHandler):
                continue
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is None or not data.has_default:
                continue
            for method in handler.http_methods:
                operation = getattr(paths[route.path_format], method.lower(), None)
                if operation is not None and operation.request_body is not None:
                    operation.request_body.required = False
