"""The web role's Prometheus metrics: HTTP requests by route template, and the newest attestation.

The web role runs several uvicorn worker processes, so counters and histograms are kept in
prometheus_client's multiprocess mode: `reserves serve` sets PROMETHEUS_MULTIPROC_DIR (a fresh,
empty directory per run) before any worker starts, and a scrape of any worker sums every worker's
files. The attestation gauges are not stored anywhere: each scrape computes them from the database
(one query, through ReserveService.gauges, so the status is `stale` exactly when the dashboard says
so). Without PROMETHEUS_MULTIPROC_DIR (tests, one process) the default registry serves.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from reserves.attestation.arithmetic import STATUSES
from reserves.read.views import Gauges

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNMATCHED = "unmatched"  # the route label of every path no route matched (bounded cardinality)

# Whether this process's metrics went to PROMETHEUS_MULTIPROC_DIR: prometheus_client decided when it
# was first imported, so a variable set later (after an in-process import) changes nothing here.
MULTIPROCESS = values.ValueClass is not values.MutexValue

HTTP_REQUESTS = Counter(
    "reserves_http_requests_total",
    "HTTP requests by method, route template and status code",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "reserves_http_request_duration_seconds",
    "Time from the request to the end of its response, by method and route template",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class AttestationCollector(Collector):
    """The newest attestation's figures, as read for this scrape (None: none yet or no database)."""

    def __init__(self, gauges: Gauges | None, database_up: bool) -> None:
        self.gauges, self.database_up = gauges, database_up

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "reserves_database_up", "1 when this scrape could read the database", value=int(self.database_up)
        )
        g = self.gauges
        if g is None:
            return
        if g.ratio_bp is not None:
            yield GaugeMetricFamily("reserves_ratio_bp", "Reserves over supply in basis points (floor)", g.ratio_bp)
        status = GaugeMetricFamily(
            "reserves_status", "The status of now (1 for the current one): stale once too old", labels=["status"]
        )
        for name in STATUSES:
            status.add_metric([name], int(name == g.status))
        yield status
        yield GaugeMetricFamily("reserves_reserves_sat", "Counted reserves in satoshis", g.reserves_sat)
        yield GaugeMetricFamily("reserves_supply_sat", "Token supply in satoshis (rounded up)", g.supply_sat)
        yield GaugeMetricFamily("reserves_attestation_age_seconds", "Age of the newest attestation", g.age_seconds)
        yield GaugeMetricFamily("reserves_attestation_sequence", "Sequence of the newest attestation", g.sequence)
        ages = GaugeMetricFamily(
            "reserves_source_age_seconds",
            "Age of the block each source was read at, in the newest attestation (failed sources absent)",
            labels=["side", "source"],
        )
        for src in g.sources:
            ages.add_metric([src.side, src.name], src.age_seconds)
        yield ages


def exposition(gauges: Gauges | None, database_up: bool) -> bytes:
    """The text of one scrape (blocking: multiprocess mode reads every worker's files)."""
    figures = CollectorRegistry(auto_describe=False)
    figures.register(AttestationCollector(gauges, database_up))
    if not MULTIPROCESS:
        return generate_latest(REGISTRY) + generate_latest(figures)
    shared = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(shared)
    return generate_latest(shared) + generate_latest(figures)
