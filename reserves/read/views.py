"""Read models: what the API returns and the dashboard renders, built from stored attestations only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from reserves.read.chart import Chart
from reserves.read.display import btc, iso, percent
from reserves.read.supply import DeploymentView, deployment_view, deployment_views  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class ReserveSourceView:
    name: str
    kind: str
    chain_id: str | None
    height: int | None
    block_hash: str | None
    block_time: str | None
    total_sat: str | None
    total_btc: str | None
    utxo_count: int | None
    min_confirmations: int | None
    error: str | None


@dataclass(frozen=True)
class AttestationSummary:
    id: str
    sequence: int
    issued_at: str
    status: str
    ratio_bp: str | None
    ratio_percent: str | None


@dataclass(frozen=True)
class Finality:
    """Whether the newest attestation is final: its guardians' threshold met (or no guardian set)."""

    state: str  # "final" or "pending"
    threshold: int | None  # None: no guardian set, the engine's signature makes it final
    guardians: int  # members of the declared guardian set
    signed: int  # valid guardian signatures stored so far
    final_at: str | None

    @property
    def missing(self) -> int:
        """Guardian signatures still needed before it is final."""
        return 0 if self.threshold is None or self.state == "final" else max(0, self.threshold - self.signed)


@dataclass(frozen=True)
class DashboardView:
    """The whole dashboard; the JSON twin is served at /api/v1/summary."""

    has_data: bool
    devnet: bool
    token_symbol: str
    issuer_name: str
    stale_after_seconds: int
    status: str | None = None  # what holds now: `stale` once the attestation is too old
    published_status: str | None = None  # the status signed in the attestation
    partial: bool = False  # a source failed: totals cover only what was read
    status_reasons: list[str] = field(default_factory=list)
    ratio_bp: str | None = None
    ratio_percent: str | None = None
    reserves_sat: str | None = None
    reserves_btc: str | None = None
    spendable_sat: str | None = None  # counted outputs any path can spend now
    spendable_btc: str | None = None
    locked_sat: str | None = None  # counted outputs under a time lock (in reserves only if count_locked)
    locked_btc: str | None = None
    count_locked: bool = True
    utxo_count: int | None = None
    valid_at: dict | None = None  # the Bitcoin tip the reserves were read at
    reserve_set: dict | None = None  # {version, hash} the attestation was made with
    liabilities_sat: str | None = None
    liabilities_btc: str | None = None
    supply_rule: str | None = None  # how liabilities_sat adds up the deployments (one line)
    attestation_id: str | None = None
    sequence: int | None = None
    issued_at: str | None = None
    age_seconds: int | None = None
    reserve_sources: list[ReserveSourceView] = field(default_factory=list)
    deployments: list[DeploymentView] = field(default_factory=list)
    recent: list[AttestationSummary] = field(default_factory=list)
    signer_pubkeys: list[str] = field(default_factory=list)
    sparkline: Sparkline | None = None
    finality: Finality | None = None
    stale_since: str | None = None  # when the status of now became `stale` (None when it is not)
    window: dict | None = None  # the attestation's `window` member: lowest ratio over recent blocks
    flows: dict | None = None  # the attestation's `flows` member: reserve movements since the one before
    wallets: list[Any] = field(default_factory=list)  # reserve_views.WalletView
    reserve_set_history: list[Any] = field(default_factory=list)  # reserve_views.ReserveSetVersionView


@dataclass(frozen=True)
class Overview:
    """The dashboard and the overview's compact chart, built together from one read. The chart stays
    out of DashboardView, which is also /api/v1/summary's JSON."""

    view: DashboardView
    chart: Chart


def reserve_source_view(src: dict) -> ReserveSourceView:
    err = src.get("error")
    return ReserveSourceView(
        name=src["name"],
        kind=src["kind"],
        chain_id=src.get("chain_id"),
        height=src.get("height"),
        block_hash=src.get("block_hash"),
        block_time=src.get("block_time"),
        total_sat=src.get("total_sat"),
        total_btc=btc(src.get("total_sat")),
        utxo_count=src.get("utxo_count"),
        min_confirmations=src.get("min_confirmations"),
        error=f"{err['code']}: {err['detail']}" if err else None,
    )


def row_summary(row) -> AttestationSummary:
    """From the stored columns only: the list never parses whole documents."""
    ratio = None if row.ratio_bp is None else str(row.ratio_bp)
    issued = row.issued_at if row.issued_at.tzinfo else row.issued_at.replace(tzinfo=timezone.utc)
    return AttestationSummary(
        id=row.id,
        sequence=row.sequence,
        issued_at=iso(issued),
        status=row.status,
        ratio_bp=ratio,
        ratio_percent=percent(ratio),
    )


def age_seconds(issued_at: datetime, now: datetime) -> int:
    return max(0, int((now - issued_at).total_seconds()))


@dataclass(frozen=True)
class SourceAge:
    side: str  # "reserves" or "supply"
    name: str
    age_seconds: int


@dataclass(frozen=True)
class Gauges:
    """The newest attestation as /metrics reports it; `status` is the status of now (stale when old)."""

    sequence: int
    status: str
    ratio_bp: int | None
    reserves_sat: int
    supply_sat: int
    age_seconds: int
    sources: list[SourceAge]


def gauges(sequence: int, body: dict[str, Any], status: str, age: int, now: datetime) -> Gauges:
    """From a stored document; a source that failed (no block time) has no age."""
    sources = [
        SourceAge(side, src["name"], age_seconds(datetime.fromisoformat(src["block_time"]), now))
        for side, entries in (("reserves", body["reserves"]["sources"]), ("supply", body["supply"]["deployments"]))
        for src in entries
        if src.get("block_time")
    ]
    ratio = body.get("ratio_bp")
    return Gauges(
        sequence=sequence,
        status=status,
        ratio_bp=None if ratio is None else int(ratio),
        reserves_sat=int(body["reserves"]["total_sat"]),
        supply_sat=int(body["supply"]["total_sat"]),
        age_seconds=age,
        sources=sources,
    )


@dataclass(frozen=True)
class Sparkline:
    """The ratio over time as SVG polylines (x 0-1000 by time, y 0-100, top = highest ratio).

    Each bucket is drawn at its LOWEST ratio: a dip that recovered within a bucket must show. A
    bucket with no ratio (every attestation in it stale) breaks the line into `segments`.
    """

    segments: list[str]
    min_percent: str
    max_percent: str
    window: str
    buckets: int


def sparkline(buckets, *, start: datetime, span) -> Sparkline | None:
    """None without two buckets that have a ratio."""
    with_ratio = [b for b in buckets if b.min_ratio_bp is not None]
    if len(with_ratio) < 2:
        return None
    lo = min(b.min_ratio_bp for b in with_ratio)
    hi = max(b.max_ratio_bp for b in with_ratio)
    width = max(1.0, span.total_seconds())
    segments: list[str] = []
    current: list[str] = []
    for b in buckets:
        if b.min_ratio_bp is None:
            segments, current = segments + ([" ".join(current)] if current else []), []
            continue
        x = 1000 * max(0.0, (b.start - start).total_seconds()) / width
        y = 50 if hi == lo else 95 - 90 * (b.min_ratio_bp - lo) / (hi - lo)
        current.append(f"{x:.1f},{y:.1f}")
    if current:
        segments.append(" ".join(current))
    hours = span.total_seconds() / 3600
    window = f"{hours:.0f} h" if hours >= 1 else f"{span.total_seconds() / 60:.0f} min"
    return Sparkline(segments, percent(lo), percent(hi), window, len(with_ratio))
