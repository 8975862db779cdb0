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
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from portal import deps
from portal.allow import AllowHeader
from portal.api import monitor, prices, providers, reconcile
from portal.api.admin import AdminController
from portal.api.admin_schema import admin_schema_route
from portal.api.attestations import AttestationController
from portal.api.evidence import evidence
from portal.api.health import HealthAdmin, healthz, metrics, readyz
from portal.api.proofs import PublicProofsController
from portal.api.stream import NO_COMPRESSION, events_stream
from portal.api.trust import TrustController
from portal.api.webhooks import WebhookAdminController, webhook_keys
from portal.clients import ClientResolver
from portal.contract import declare_optional_bodies
from portal.errors import HANDLERS
from portal.head import HeadAsGet
from portal.hot_paths import HotPaths
from portal.limits import RequestLimits
from portal.microcache import MicroCache
from portal.observe.layer import ObservedApp
from portal.observe.metrics import RECORDER
from portal.pages import ROUTES as PAGE_ROUTES
from portal.pages import render_page
from portal.pages.filters import register as page_filters
from portal.ratelimit.limiter import build_limiter
from portal.ratelimit.middleware import RateLimitMiddleware
from portal.schema_page import openapi_config
from portal.security import secure
from portal.static_files import StaticFileSystem, favicon
from reserves.devnet.manifest import resolve
from reserves.devnet.online import online_signer
from reserves.settings.model import Settings
from reserves.storage.db import Database, open_database
from reserves.storage.migrate import upgrade

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
STATIC = Path(__file__).resolve().parent / "static"
MAX_REQUEST_BODY = 64 * 1024
# Every admin controller of the web role: kept out of /schema, documented at /admin/v1/openapi.json.
ADMIN_CONTROLLERS = (AdminController, WebhookAdminController, reconcile.ReconciliationAdmin, HealthAdmin)


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
    limiter = build_limiter(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db, app.state.services = await start_services(settings)
        app.state.admin_keyring = app.state.services.admin_keys
        app.state.services.stream.start()
        app.state.services.hot.start()
        try:
            yield
        finally:
            RECORDER.flush()  # the last second's requests, before the process ends
            await app.state.services.hot.stop()
            await app.state.services.stream.stop()
            await db.dispose()
            if limiter is not None:
                await limiter.close()

    app = Litestar(
        route_handlers=[
            AttestationController,
            TrustController,
            events_stream,
            *PAGE_ROUTES,
            healthz,
            readyz,
            HealthAdmin,
            metrics,
            PublicProofsController,
            AdminController,
            WebhookAdminController,
            admin_schema_route(ADMIN_CONTROLLERS, title="Reserves portal admin API", dependencies=deps.DEPENDENCIES),
            webhook_keys,
            evidence,
            *monitor.ROUTES,
            *reconcile.ROUTES,
            *prices.ROUTES,
            *providers.ROUTES,
            favicon,
            create_static_files_router(
                path="/static", directories=[STATIC], file_system=StaticFileSystem(), include_in_schema=False
            ),
        ],
        dependencies=deps.DEPENDENCIES,
        lifespan=[lifespan],
        exception_handlers=HANDLERS,
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=page_filters),
        openapi_config=openapi_config("Reserves portal API"),
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, exclude_opt_key=NO_COMPRESSION),
        request_max_body_size=MAX_REQUEST_BODY,
        # OPTIONS lists every method of a path (Litestar's own handler can miss some).
        middleware=[AllowHeader],
        # Logging is configured once by the CLI; Litestar's default would reset the root logger
        # to INFO and override --log-level.
        logging_config=None,
    )
    declare_optional_bodies(app)
    # In front of routing, outermost first: HEAD wherever GET is; query and path lengths, repeated
    # parameters, and every body checked before it is decoded; the crowd's hottest GETs from the view
    # in memory; the other public GETs at most once a second per URL.
    app.state.microcache = MicroCache(app.asgi_handler)
    limited = HeadAsGet(
        RequestLimits(
            HotPaths(
                app.state.microcache,
                hot=lambda scope: scope["app"].state.services.hot,
                render=lambda scope, template, view: render_page(scope["app"], template, view),
            ),
            max_query=settings.portal.max_query_bytes,
            max_body=MAX_REQUEST_BODY,
        )
    )
    # The rate limiter in front of them all (every request is counted and resolved to its client, the
    # hot paths' too), behind the security headers (its 429s carry them, and CORS).
    app.state.ratelimit = limiter
    resolver = ClientResolver(settings.ratelimit.trusted_proxies)
    app.asgi_handler = RateLimitMiddleware(limited, resolver, limiter)
    secure(app, hsts=settings.portal.hsts)  # every answer, the hot paths' and HEAD's too
    # Outermost: request ids and HTTP metrics for every answer (a 404, a hot path, a HEAD, a 429 included).
    app.asgi_handler = ObservedApp(app.asgi_handler)
    return app
