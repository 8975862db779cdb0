"""Every admin route of both roles is guarded and declares a scope: a route added without one would
be refused to every key (the guard fails closed), and this test names it first."""

from __future__ import annotations

import pytest

from portal.api.admin_auth import admin_guard
from portal.app import create_app
from portal.worker_app import create_worker_app
from reserves.admin.keys import SCOPES
from reserves.settings.load import default_settings
from reserves.worker.worker import Worker


def _admin_handlers(app):
    for route in app.routes:
        if not route.path.startswith("/admin"):
            continue
        for method, entry in route.route_handler_map.items():
            handler = entry[0] if isinstance(entry, tuple) else entry
            yield route.path, method, handler


@pytest.mark.parametrize("role", ["web", "worker"])
def test_every_admin_route_is_guarded_and_declares_a_scope(tmp_path, role):
    settings = default_settings(tmp_path)
    app = create_app(settings) if role == "web" else create_worker_app(Worker(settings))
    found = list(_admin_handlers(app))
    assert any(path == "/admin/v1/openapi.json" for path, _m, _h in found)
    for path, method, handler in found:
        assert admin_guard in handler.resolve_guards(), (path, method)
        if method != "OPTIONS":  # Litestar's own OPTIONS answers need `read` (portal.api.admin_auth.needed_scope)
            assert handler.opt.get("scope") in SCOPES, (path, method)
    scopes = {(path, method): handler.opt.get("scope") for path, method, handler in found}
    if role == "web":
        assert scopes[("/admin/v1/challenges", "POST")] == "operate"
        assert scopes[("/admin/v1/challenges/{challenge_id:str}", "GET")] == "read"
        assert scopes[("/admin/v1/reconciliation/links", "POST")] == "operate"
        assert {s for (p, m), s in scopes.items() if p.startswith("/admin/v1/webhooks")} == {"webhooks"}
    else:
        assert scopes[("/admin/v1/reserves/at/{height:str}", "GET")] == "read"
