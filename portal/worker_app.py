"""The worker's own small HTTP app: `/healthz` for its supervisor, `/metrics` (snapshots, webhook
deliveries: reserves.metrics), and the admin routes that read a chain.

The web role never calls a chain; the one operator query that must (the reserves at a past height)
is answered here, by the process that holds the adapters, behind the same admin keys (`read` scope).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Litestar, Response, get
from litestar.datastructures import State
from litestar.params import Parameter
from prometheus_client import REGISTRY, generate_latest

from portal.api.admin import AUTH_ERRORS
from portal.api.admin_auth import READ, admin_guard
from portal.api.admin_schema import admin_schema_route
from portal.api.proofs import error_specs
from portal.app import MAX_REQUEST_BODY
from portal.errors import HANDLERS
from portal.observe.metrics import CONTENT_TYPE
from portal.schema_page import openapi_config
from portal.security import secure
from reserves import metrics as worker_series  # noqa: F401 - registers the series /metrics serves
from reserves.admin.keyring import AdminKeyring
from reserves.errors import ReservesError
from reserves.snapshot.point_in_time import check_height, reserves_at
from reserves.worker.worker import Worker


class WorkerAdminController(Controller):
    path = "/admin/v1"
    tags = ["admin"]
    guards = [admin_guard]
    include_in_schema = False  # documented at the worker's /admin/v1/openapi.json

    @get(
        "/reserves/at/{height:str}",
        opt=READ,
        summary="The reserves as they stood at a past block height (reads the chain)",
        description="From each Esplora source's history: an outpoint counts at H when it was created at or "
        "below H, deep enough, and not spent at or below H. Not signed; `complete` is false when a "
        "source could not answer.",
        responses=error_specs(s400="Height not an integer from 0 to 2**31-1 (invalid_input)", **AUTH_ERRORS),
    )
    async def reserves_at(
        self, state: State, height: Annotated[str, Parameter(max_length=12, description="Block height")]
    ) -> dict[str, Any]:
        worker: Worker = state.worker
        number = int(height) if height.isascii() and height.isdigit() else -1
        s = worker.settings
        if s is None:  # only before start: the app is made for a started worker
            raise ReservesError("the worker has not started")
        return await reserves_at(
            worker.sources.reserve,
            check_height(number),
            timeout=s.schedule.source_timeout_seconds,
            count_locked=s.policy.count_locked,
        )


@get("/healthz", summary="The worker: alive, and whether it leads", tags=["operations"])
async def worker_health(state: State) -> Response[dict[str, Any]]:
    worker: Worker = state.worker
    return Response(
        {"status": "ok", "role": "worker", "replica": worker.leadership.identity, "leader": worker.is_leader()},
        headers={"Cache-Control": "no-store"},
    )


@get("/metrics", include_in_schema=False, media_type=CONTENT_TYPE, sync_to_thread=False)
def worker_metrics() -> Response[bytes]:
    """Prometheus text format: this worker's snapshot and webhook-delivery series (one process)."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


def create_worker_app(worker: Worker) -> Litestar:
    """The app of a started worker (its lifecycle is the worker's, not this app's)."""
    app = Litestar(
        route_handlers=[
            WorkerAdminController,
            worker_health,
            worker_metrics,
            admin_schema_route([WorkerAdminController], title="Reserves portal worker admin API"),
        ],
        exception_handlers=HANDLERS,
        openapi_config=openapi_config("Reserves portal worker API"),
        request_max_body_size=MAX_REQUEST_BODY,
        logging_config=None,
    )
    app.state.worker = worker
    admin = worker.loaded.admin
    app.state.admin_keyring = AdminKeyring(lambda: worker.db, admin.token, admin.key_cache_seconds)
    return secure(app, cors=False)
