"""The Litestar app factory: create_app(settings) wires the runtime, scheduler, API and dashboard."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from portal.api.admin import AdminController
from portal.api.attestations import AttestationController, healthz
from portal.api.proofs import ProofPartials, PublicProofsController
from portal.errors import HANDLERS
from portal.api.evidence import evidence
from portal.api import monitor as monitor_api
from portal.api import reconcile as reconcile_api
from portal.pages import DashboardController
from portal.api.trust import AssurancePartial, TrustController
from reserves.jobs.schedule import build_scheduler
from reserves.proofs.setup import build_proof_service
from reserves.runtime import Runtime
from reserves.read.service import ReserveService
from reserves.settings.load import Settings
from reserves.trust.service import TrustService

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
STATIC = Path(__file__).resolve().parent / "static"
MAX_REQUEST_BODY = 64 * 1024


def create_app(settings: Settings, *, run_scheduler: bool = True) -> Litestar:
    """Build the app. The runtime (database, key, adapters, devnet) starts in the app's lifespan."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        rt = await Runtime(settings).start()
        app.state.runtime = rt
        app.state.service = ReserveService(rt.db, settings, [(rt.signer.pubkey_hex, rt.signer.key_id)])
        app.state.service.leadership, app.state.service.runtime = rt.leadership, rt
        app.state.trust = TrustService(rt.db, [(rt.signer.pubkey_hex, rt.signer.key_id)])
        try:
            app.state.proofs = await asyncio.to_thread(build_proof_service, rt)  # loads the online signer
        except BaseException:
            await rt.close()
            raise
        scheduler = build_scheduler(rt) if run_scheduler else None
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            await rt.close()

    def provide_service(state: State) -> ReserveService:
        return state.service

    def provide_trust(state: State) -> TrustService:
        return state.trust

    return Litestar(
        route_handlers=[AttestationController, TrustController, AssurancePartial, DashboardController, healthz,
                        PublicProofsController, ProofPartials, AdminController, evidence,
                        *monitor_api.ROUTES, *reconcile_api.ROUTES,
                        create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False)],
        dependencies={"service": Provide(provide_service, sync_to_thread=False),
                      "trust": Provide(provide_trust, sync_to_thread=False)},
        lifespan=[lifespan],
        exception_handlers=HANDLERS,
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        openapi_config=OpenAPIConfig(title="Reserves portal API", version="1.0.0", path="/schema"),
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024),
        request_max_body_size=MAX_REQUEST_BODY,
        # Logging is configured once by the CLI; Litestar's default would reset the root logger
        # to INFO and override --log-level.
        logging_config=None,
    )
