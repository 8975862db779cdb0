"""The worker's Prometheus metrics: snapshots and webhook deliveries, counted where they happen.

The worker is one process: these live in prometheus_client's default registry and the worker's own
HTTP server answers `GET /metrics` with them (portal/worker_app.py). The web role's metrics are in
portal/observe/. Label values are fixed codes only (bounded cardinality); docs/operations.md lists
every series.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SNAPSHOT_DURATION = Histogram(
    "reserves_snapshot_duration_seconds",
    "Time a scheduled snapshot took (read every source, sign, store), refused ones included",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120),
)
SNAPSHOT_FAILURES = Counter(
    "reserves_snapshot_failures_total",
    "Scheduled snapshots that stored no attestation, by error code (internal: an unexpected exception)",
    ["code"],
)
WEBHOOK_DELIVERIES = Counter(
    "reserves_webhook_deliveries_total",
    "Webhook delivery attempts by result: success, http_error, gone (410), network (no answer), secret",
    ["result"],
)
MAX_CODE = 64


def snapshot_failed(code: str) -> None:
    """Count a refused snapshot; a code that is not a short identifier counts as `other`."""
    ok = 0 < len(code) <= MAX_CODE and code.replace("_", "").isalnum() and code.isascii()
    SNAPSHOT_FAILURES.labels(code if ok else "other").inc()


def delivery_result(ok: bool, status_code: int | None, gone: bool) -> str:
    if ok:
        return "success"
    if gone:
        return "gone"
    return "network" if status_code is None else "http_error"
