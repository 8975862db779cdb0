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

from reserves.evidence.service import EvidenceService
from reserves.jobs.monitor import EVM_KIND
from reserves.monitor.service import MonitorService
from reserves.proofs.online import OnlineSigner
from reserves.proofs.service import ProofService
from reserves.proofs.setup import build_proof_service
from reserves.read.service import ReserveService
from reserves.reconcile.service import ReconcileService
from reserves.settings.model import Settings
from reserves.storage.db import Database
from reserves.trust.service import TrustService


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


def build_services(db: Database, settings: Settings, online: OnlineSigner | None = None) -> Services:
    """The services of the resolved `settings` (blocking: an online signer's key file is decrypted)."""
    return Services(
        settings=settings,
        reserves=ReserveService(db, settings),
        trust=TrustService(db),
        proofs=build_proof_service(db, settings, online),
        evidence=EvidenceService(db),
        monitor=MonitorService(db, [s.name for s in settings.deployments if s.kind == EVM_KIND]),
        reconcile=ReconcileService(db, [s.name for s in settings.deployments]),
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
}

# Handler parameter types: the name is the dependency's key above.
Service = NamedDependency[ReserveService]
Trust = NamedDependency[TrustService]
Proofs = NamedDependency[ProofService]
Evidence = NamedDependency[EvidenceService]
Monitor = NamedDependency[MonitorService]
Reconcile = NamedDependency[ReconcileService]
