"""The web role's Litestar app: create_app(settings) serves the API and the pages from the database.

It never calls a chain and runs no job: the worker (reserves.worker) writes what this reads. Any
number of web processes, each with several workers, can share one database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from portal import deps
from portal.api import monitor, reconcile
from portal.api.admin import AdminController
from portal.api.attestations import AttestationController
from portal.api.evidence import evidence
from portal.api.health import admin_health, healthz, metrics, readyz
from portal.api.proofs import ProofPartials, PublicProofsController
from portal.api.stream import NO_COMPRESSION, events_stream
from portal.api.trust import AssurancePartial, TrustController
from portal.api.webhooks import WebhookAdminController, webhook_keys
from portal.errors import HANDLERS
from portal.observe.layer import ObservedApp
from portal.observe.metrics import RECORDER
from portal.pages import DashboardController
from portal.static_files import StaticFileSystem
from reserves.devnet.manifest import resolve
from reserves.devnet.online import online_signer
from reserves.settings.model import Settings
from reserves.storage.db import Database, open_database
from reserves.storage.migrate import upgrade

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
STATIC = Path(__file__).resolve().parent / "static"
MAX_REQUEST_BODY = 64 * 1024


async def start_services(settings: Settings) -> tuple[Database, deps.Services]:
    """Migrate when configured, open the database, read the devnet's manifest, build the services."""
    if settings.database.auto_migrate:
        await asyncio.to_thread(upgrade, settings.database.url)
    resolved = await resolve(settings)
    db = open_database(settings.database.url)
    try:
        online = await asyncio.to_thread(online_signer, resolved) if resolved.devnet.enabled else None
        services = await asyncio.to_thread(deps.build_services, db, resolved, online)  # scrypt: a thread
    except BaseException:
        await db.dispose()
        raise
    return db, services


def create_app(settings: Settings) -> Litestar:
    """Build the web app; its database and services start in the app's lifespan."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db, app.state.services = await start_services(settings)
        app.state.services.stream.start()
        try:
            yield
        finally:
            RECORDER.flush()  # the last second's requests, before the process ends
            await app.state.services.stream.stop()
            await db.dispose()

    app = Litestar(
        route_handlers=[
            AttestationController,
            TrustController,
            events_stream,
            AssurancePartial,
            DashboardController,
            healthz,
            readyz,
            admin_health,
            metrics,
            PublicProofsController,
            ProofPartials,
            AdminController,
            WebhookAdminController,
            webhook_keys,
            evidence,
            *monitor.ROUTES,
            *reconcile.ROUTES,
            create_static_files_router(
                path="/static", directories=[STATIC], file_system=StaticFileSystem(), include_in_schema=False
            ),
        ],
        dependencies=deps.DEPENDENCIES,
        lifespan=[lifespan],
        exception_handlers=HANDLERS,
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        openapi_config=OpenAPIConfig(title="Reserves portal API", version="1.0.0", path="/schema"),
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, exclude_opt_key=NO_COMPRESSION),
        request_max_body_size=MAX_REQUEST_BODY,
        # Logging is configured once by the CLI; Litestar's default would reset the root logger
        # to INFO and override --log-level.
        logging_config=None,
    )
    app.state.admin_token = settings.admin.token
    # Outermost, around routing and the exception handlers: request ids and HTTP metrics for every
    # answer, a 404 included (Litestar's own middleware runs only for matched routes).
    app.asgi_handler = ObservedApp(app.asgi_handler)
    return app
