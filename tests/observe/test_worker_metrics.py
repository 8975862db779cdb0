"""The worker's series, counted where things happen: webhook delivery attempts by result (a real
receiver), scheduled snapshots timed and their refusals counted by code (the real devnet)."""

from __future__ import annotations

import os
from dataclasses import replace

from reserves import metrics
from reserves.attestation.keys import SigningKey
from reserves.jobs.snapshot import snapshot_job
from reserves.trust.keys import EngineKeys
from tests.observe.test_app_observability import metric
from tests.portal.conftest import snapshot
from tests.webhooks.conftest import db as db
from tests.webhooks.conftest import dispatcher, emit, keys, receiver, run_until_idle, service, settings  # noqa: F401
from tests.webhooks.test_delivery import subscribe


def deliveries(result: str) -> float:
    return metrics.WEBHOOK_DELIVERIES.labels(result)._value.get()


async def test_webhook_attempts_are_counted_by_result(db, service, dispatcher, receiver):  # noqa: F811
    before = {r: deliveries(r) for r in ("success", "http_error", "gone")}
    await subscribe(service, receiver, "/ok")
    await subscribe(service, receiver, "/gone", "gone")
    await emit(db)
    await run_until_idle(dispatcher)
    assert len(receiver.at("/ok")) == 1 and len(receiver.at("/gone")) == 1
    assert deliveries("success") == before["success"] + 1
    assert deliveries("gone") == before["gone"] + 1
    assert deliveries("http_error") == before["http_error"]


def test_a_refused_snapshot_is_timed_and_counted_by_its_code(client):
    from prometheus_client import REGISTRY, generate_latest

    rt = client.world
    snapshot(client)
    text = generate_latest(REGISTRY).decode()
    runs = metric(text, "reserves_snapshot_duration_seconds_count") or 0
    refused = metric(text, "reserves_snapshot_failures_total", code="signing_key") or 0
    context = rt.worker.context
    rt.tick()
    rt.call(snapshot_job, context, rt.worker.status, rt.worker.snapshot_lock)  # not due yet: no snapshot at all
    assert metric(generate_latest(REGISTRY).decode(), "reserves_snapshot_duration_seconds_count") == runs
    # A new engine key without the one it replaces: refused (signing_key).
    rt.worker.context = replace(context, keys=EngineKeys(SigningKey(os.urandom(32), key_id="engine-x")))
    try:
        rt.tick()
        rt.call(snapshot_job, rt.worker.context, rt.worker.status, rt.worker.snapshot_lock)
    finally:
        rt.worker.context = context
    text = generate_latest(REGISTRY).decode()
    assert metric(text, "reserves_snapshot_duration_seconds_count") == runs + 1
    assert metric(text, "reserves_snapshot_failures_total", code="signing_key") == refused + 1
