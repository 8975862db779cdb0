"""The web role's Prometheus metrics: HTTP requests by route template, and the newest attestation.

The web role runs several uvicorn worker processes, so counters and histograms are kept in
prometheus_client's multiprocess mode: `reserves serve` sets PROMETHEUS_MULTIPROC_DIR (a fresh,
empty directory per run) before any worker starts, and a scrape of any worker sums every worker's
files. The attestation gauges are not stored anywhere: each scrape computes them from the database
(one query, through ReserveService.gauges, so the status is `stale` exactly when the dashboard says
so). Without PROMETHEUS_MULTIPROC_DIR (tests, one process) the default registry serves.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections import Counter as Tally
from collections.abc import Iterator
from typing import Any

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

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
HTTP_REQUESTS = Counter(
    "reserves_http_requests_total",
    "HTTP requests by method, route template and status code",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "reserves_http_request_duration_seconds",
    "Time from the request to the end of its response, by method and route template",
    ["method", "route"],
    buckets=BUCKETS,
)
BOUNDS = (*BUCKETS, float("inf"))  # the histogram's upper bounds, +Inf last


FLUSH_SECONDS = 1.0


class HttpRecorder:
    """The HTTP observations of this process, written to the metrics in batches.

    In multiprocess mode every increment locks and writes an mmap (a few microseconds; a histogram
    observation two of them): per request that would cost a trivial app a fifth of its throughput.
    A request only appends a tuple here; at most FLUSH_SECONDS later (and before this process
    answers a scrape, and when the app stops) the batch is summed per label set and written with
    one increment per counter and per touched bucket. Runs on the event loop only.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[str, str, int, float]] = []
        self._scheduled = False
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        self._pending.append((method, route, status, seconds))
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, []
        for (method, route, status), n in Tally((m, r, s) for m, r, s, _ in pending).items():
            counter = self._counters.get((method, route, status))
            if counter is None:
                counter = self._counters[(method, route, status)] = HTTP_REQUESTS.labels(method, route, str(status))
            counter.inc(n)
        sums: dict[tuple[str, str], list[float]] = {}
        buckets: dict[tuple[str, str], list[int]] = {}
        for method, route, _, seconds in pending:
            key = (method, route)
            if key not in sums:
                sums[key], buckets[key] = [0.0], [0] * len(BOUNDS)
            sums[key][0] += seconds
            buckets[key][bisect_left(BOUNDS, seconds)] += 1
        for key, total in sums.items():
            timer = self._timers.get(key)
            if timer is None:
                timer = self._timers[key] = HTTP_DURATION.labels(*key)
            # Histogram.observe(x) is `_sum.inc(x)` and one `_buckets[i].inc(1)` for the first bound
            # >= x: the same, n observations at a time (tests/observe checks the exposition).
            timer._sum.inc(total[0])
            for i, n in enumerate(buckets[key]):
                if n:
                    timer._buckets[i].inc(n)


RECORDER = HttpRecorder()


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
