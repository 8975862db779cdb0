"""The admin API's own OpenAPI document, at /admin/v1/openapi.json behind the `read` scope.

The public document (/schema/openapi.json) never lists admin routes: whether the admin API is on
depends on keys in the database, which a schema built at start cannot know, and a public
document that lists them tells a scanner where to knock. The admin controllers are declared with
`include_in_schema = False`; this module documents documented copies of them in an app that is
never served, once, on the first request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Controller, Litestar, Router, get
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import Dependencies

from portal.api.admin import AUTH_ERRORS
from portal.api.admin_auth import READ, admin_guard
from portal.api.proofs import error_specs

ADMIN_SCHEMA_PATH = "/admin/v1/openapi.json"
SECURITY = SecurityScheme(
    type="http",
    scheme="bearer",
    bearer_format="rpk_<id>_<secret>, or the [admin] token",
    description="An admin key (`reserves admin-keys create`); each route needs the scope it names.",
)


def admin_openapi(
    controllers: Sequence[type[Controller]], *, title: str, dependencies: Dependencies | None = None
) -> dict[str, Any]:
    """The OpenAPI document of `controllers` (admin routes), with the bearer security scheme."""
    documented = [type(c.__name__, (c,), {"include_in_schema": True}) for c in controllers]
    app = Litestar(
        route_handlers=documented,
        dependencies=dependencies,
        openapi_config=OpenAPIConfig(
            title=title,
            version="1.0.0",
            path="/schema",
            security=[{"AdminKey": []}],
            components=Components(security_schemes={"AdminKey": SECURITY}),
        ),
        logging_config=None,
    )
    return app.openapi_schema.to_schema()


def admin_schema_route(
    controllers: Sequence[type[Controller]], *, title: str, dependencies: Dependencies | None = None
) -> Router:
    """GET /admin/v1/openapi.json of one app's admin `controllers` (built on first use, then kept)."""
    built: dict[str, Any] = {}

    @get(
        ADMIN_SCHEMA_PATH,
        opt=READ,
        sync_to_thread=False,
        responses=error_specs(**AUTH_ERRORS),
    )
    def admin_schema() -> dict[str, Any]:
        if not built:
            built.update(admin_openapi(controllers, title=title, dependencies=dependencies))
        return built

    # A router, so that the guard covers Litestar's OPTIONS answer of the path too.
    return Router("/", route_handlers=[admin_schema], guards=[admin_guard], include_in_schema=False)
