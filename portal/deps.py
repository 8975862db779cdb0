"""The one place the web role's handlers get their services from: built at start, injected by name.

Every handler names the service it calls (`service`, `trust`, `proofs`, `evidence`, `monitor`,
`reconcile`); `create_app` registers `DEPENDENCIES` once for the whole app. Guards, which take no
dependencies, read the settings through `services_of(app)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from reserves.admin.keyring import AdminKeyring
from reserves.evidence.service import EvidenceService
from reserves.monitor.service import MonitorService
from reserves.monitor.store import EVM_KIND
from reserves.proofs.online import OnlineSigner
from reserves.proofs.service import ProofService
from reserves.proofs.setup import build_proof_service
from reserves.read.event_feed import EventFeed
from reserves.read.hot import HotView
from reserves.read.prices import PriceService
from reserves.read.providers import ProviderService
from reserves.read.service import ReserveService
from reserves.read.stream import EventHub
from reserves.reconcile.service import ReconcileService
from reserves.settings.model import Settings
from reserves.storage.db import Database
from reserves.trust.service import TrustService
from reserves.webhooks.keys import WebhookKeys, load_webhook_keys
from reserves.webhooks.service import WebhookService


@dataclass(frozen=True)
class Services:
    """Every service the API and the pages call, over one database; none of them reads a chain."""

    settings: Settings
    reserves: ReserveService
    trust: TrustService
    proofs: ProofService
    evidence: EvidenceService
    monitor: MonitorService
    reconcile: ReconcileService
    providers: ProviderService
    webhooks: WebhookService
    webhook_keys: WebhookKeys
    stream: EventHub  # started and stopped by the app's lifespan
    hot: HotView  # the in-memory view of latest/summary/dashboard; started and stopped by the lifespan
    admin_keys: AdminKeyring  # the admin guard's (app.state.admin_keyring)
    prices: PriceService


def build_services(db: Database, settings: Settings, online: OnlineSigner | None = None) -> Services:
    """The services of the resolved `settings` (blocking: an online signer's key file is decrypted)."""
    keys = load_webhook_keys(settings.webhooks)
    reserves = ReserveService(db, settings)
    return Services(
        settings=settings,
        reserves=reserves,
        trust=TrustService(db),
        proofs=build_proof_service(db, settings, online),
        evidence=EvidenceService(db, settings.portal.evidence_cache_mib * 1024 * 1024),
        monitor=MonitorService(db, [s.name for s in settings.deployments if s.kind == EVM_KIND]),
        reconcile=ReconcileService(db, [s.name for s in settings.deployments]),
        providers=ProviderService(db),
        webhooks=WebhookService(db, settings.webhooks, keys),
        webhook_keys=keys,
        stream=event_hub(db, settings),
        hot=HotView(db, reserves),
        admin_keys=AdminKeyring(db, settings.admin.token, settings.admin.key_cache_seconds),
        prices=PriceService(db, settings.prices),
    )


def event_hub(db: Database, settings: Settings) -> EventHub:
    """The one outbox poller of this web process, behind GET /api/v1/events/stream."""
    p = settings.portal
    return EventHub(
        EventFeed(db),
        poll_seconds=p.stream_poll_seconds,
        heartbeat_seconds=p.stream_heartbeat_seconds,
        max_clients=p.stream_max_clients,
        max_per_client=p.stream_max_per_client,
        max_seconds=p.stream_max_seconds,
        gap_seconds=p.stream_gap_seconds,
    )


def services_of(app: Litestar) -> Services:
    return app.state.services


def _provider(name: str) -> Provide:
    def provide(state: State) -> Any:
        return getattr(state.services, name)

    return Provide(provide, sync_to_thread=False)


DEPENDENCIES = {
    "service": _provider("reserves"),
    "trust": _provider("trust"),
    "proofs": _provider("proofs"),
    "evidence": _provider("evidence"),
    "monitor": _provider("monitor"),
    "reconcile": _provider("reconcile"),
    "providers": _provider("providers"),
    "webhooks": _provider("webhooks"),
    "webhook_keys": _provider("webhook_keys"),
    "stream": _provider("stream"),
    "hot": _provider("hot"),
    "prices": _provider("prices"),
}

# Handler parameter types: the name is the dependency's key above.
Service = NamedDependency[ReserveService]
Trust = NamedDependency[TrustService]
Proofs = NamedDependency[ProofService]
Evidence = NamedDependency[EvidenceService]
Monitor = NamedDependency[MonitorService]
Reconcile = NamedDependency[ReconcileService]
Providers = NamedDependency[ProviderService]
Webhooks = NamedDependency[WebhookService]
WebhookKeysDep = NamedDependency[WebhookKeys]
Stream = NamedDependency[EventHub]
Hot = NamedDependency[HotView]
Prices = NamedDependency[PriceService]
