"""The overview's one-line summaries of each area (proofs of control, monitor, reconciliation), from
what their own services return: the overview and the area pages never count differently."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProofsSummary:
    addresses: int  # reserve addresses holding counted coins
    fresh: int  # of those, with a fresh proof of control
    expired: int
    unproven: int
    wallets_with_keys: int
    wallets_spendable: int  # wallets whose proven keys meet their spending threshold


@dataclass(frozen=True)
class MonitorSummary:
    deployments: int
    started: int
    matching: int  # whose replayed supply equals totalSupply() at the last check
    mismatched: int
    open_issues: int


@dataclass(frozen=True)
class ReconcileSummary:
    mints: dict[str, int]  # reconciled, pending, unreconciled
    burns: dict[str, int]  # released, awaiting_release, unreleased
    exceptions: int  # unreconciled mints and unreleased burns


@dataclass(frozen=True)
class ProvidersSummary:
    providers: int
    counts: dict[str, int]  # per state: healthy, warning, liquidatable, unknown
    lowest: str | None  # the provider with the lowest known ratio, and its ratio ("lp-a at 123.45%")


@dataclass(frozen=True)
class AreaSummaries:
    proofs: ProofsSummary
    monitor: MonitorSummary
    reconciliation: ReconcileSummary
    providers: ProvidersSummary | None = None


def proofs_summary(status: dict[str, Any]) -> ProofsSummary:
    held = [a for a in status.get("addresses", []) if a.get("holds_coins", True)]
    keyed = [w for w in status.get("wallets", []) if w.get("key_count")]
    return ProofsSummary(
        addresses=len(held),
        fresh=sum(1 for a in held if a["status"] == "fresh"),
        expired=sum(1 for a in held if a["status"] == "expired"),
        unproven=sum(1 for a in held if a["status"] == "none"),
        wallets_with_keys=len(keyed),
        wallets_spendable=sum(1 for w in keyed if w.get("threshold_alive") or w.get("all_keys_alive")),
    )


def monitor_summary(overview: dict[str, Any]) -> MonitorSummary:
    deployments = overview.get("deployments", [])
    return MonitorSummary(
        deployments=len(deployments),
        started=sum(1 for d in deployments if d.get("started")),
        matching=sum(1 for d in deployments if d.get("match") is True),
        mismatched=sum(1 for d in deployments if d.get("match") is False),
        open_issues=int(overview.get("open_issues", 0)),
    )


def reconcile_summary(view: dict[str, Any]) -> ReconcileSummary:
    mints = dict(view["summary"]["mints"])
    burns = dict(view["summary"]["burns"])
    return ReconcileSummary(mints, burns, mints.get("unreconciled", 0) + burns.get("unreleased", 0))


def providers_summary(view: dict[str, Any]) -> ProvidersSummary:
    known = [p for p in view["providers"] if p["ratio_bp"] is not None]
    low = min(known, key=lambda p: int(p["ratio_bp"])) if known else None
    lowest = None if low is None else f"{low['name']} at {low['ratio_percent']}"
    return ProvidersSummary(len(view["providers"]), dict(view["counts"]), lowest)


def area_summaries(
    proofs: dict[str, Any],
    monitor: dict[str, Any],
    reconcile: dict[str, Any],
    providers: dict[str, Any] | None = None,
) -> AreaSummaries:
    """From ProofService.status(), MonitorService.overview(), ReconcileService.view() and ProviderService.view()."""
    return AreaSummaries(
        proofs_summary(proofs),
        monitor_summary(monitor),
        reconcile_summary(reconcile),
        None if providers is None else providers_summary(providers),
    )
