"""Liveness, readiness, /metrics, and the operators' view of health (behind the admin token).

The public answers carry fixed codes and ages only: no host name, PID, worker identity or error
text (those are in the admin route and in each worker's own /healthz on its port).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy.exc import SQLAlchemyError

from portal.api.admin import AUTH_ERRORS
from portal.api.admin_auth import READ, admin_guard
from portal.api.proofs import error_specs
from portal.deps import Service
from portal.observe.metrics import CONTENT_TYPE, RECORDER, exposition

log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}
METRICS_TIMEOUT_SECONDS = 5.0
NOT_READY = {503: ResponseSpec(data_container=dict[str, Any], description="Not ready (`degraded`, with reason codes)")}


@get(
    "/healthz",
    summary="Liveness: the process serves",
    tags=["operations"],
    description="Always 200 `ok` while this process answers; reads no database. Readiness is `/readyz`.",
    sync_to_thread=False,
)
def healthz() -> Response[dict[str, Any]]:
    return Response({"status": "ok"}, headers=NO_STORE)


@get(
    "/readyz",
    summary="Readiness: database reachable, newest attestation fresh, a live worker leads",
    tags=["operations"],
    description="200 `ok`, or `starting` before the first attestation (for stale_after_seconds after start); "
    "503 `degraded` with `reasons` among database_unavailable, no_attestation, attestation_stale, "
    "attestation_in_future, no_leader, snapshots_refused.",
    responses=NOT_READY,
)
async def readyz(service: Service) -> Response[dict[str, Any]]:
    health = await service.health()
    return Response(health.public(), status_code=health.http_status, headers=NO_STORE)


class HealthAdmin(Controller):
    """GET /admin/v1/health (scope `read`; documented in /admin/v1/openapi.json)."""

    path = "/admin/v1/health"
    tags = ["admin"]
    guards = [admin_guard]
    include_in_schema = False
    opt = READ

    @get(
        "/",
        summary="Readiness with the operators' detail: the leading worker, every live one, the last refused snapshot",
        responses={**NOT_READY, **error_specs(**AUTH_ERRORS)},
    )
    async def admin_health(self, service: Service) -> Response[dict[str, Any]]:
        health = await service.health()
        return Response(health.operator(), status_code=health.http_status, headers=NO_STORE)


@get("/metrics", include_in_schema=False, media_type=CONTENT_TYPE)
async def metrics(service: Service) -> Response[bytes]:
    """Prometheus text format: the HTTP series of every web worker process, and the newest attestation
    read now from the database."""
    try:
        gauges, up = await asyncio.wait_for(service.gauges(), METRICS_TIMEOUT_SECONDS), True
    except (TimeoutError, SQLAlchemyError) as exc:
        log.warning("metrics: database unavailable: %s", type(exc).__name__)
        gauges, up = None, False
    RECORDER.flush()  # this process's latest requests included
    body = await asyncio.to_thread(exposition, gauges, up)
    return Response(body, media_type=CONTENT_TYPE, headers=NO_STORE)
