"""Delivery against a real receiver that verifies with the independent `standardwebhooks` library.

Each test runs on SQLite and on PostgreSQL. The retry schedule is shortened (0, 0.2 s, 0.4 s).
"""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import text
from sqlmodel import select

from reserves.storage import events as events_repo
from reserves.storage.engine_models import AuditRow, EngineEventRow
from reserves.storage.webhook_models import WebhookDeliveryRow, WebhookSubscriptionRow
from reserves.trust.service import TrustService
from reserves.webhooks.dispatcher import Dispatcher, aware
from reserves.webhooks.fanout import fan_out
from reserves.webhooks.service import WebhookService
from tests.webhooks.conftest import emit, faster, run_until_idle
from tests.webhooks.receiver import Receiver


async def subscribe(
    service: WebhookService, receiver: Receiver, path: str, behaviour: str = "ok", events=None, **route
):
    url = receiver.url(path, behaviour, **route)
    made = await service.add(url=url, events=events or ["status.changed"])
    receiver.verify_with(path, made["secret"])
    return made


async def deliveries(db, sub_id: str) -> list[WebhookDeliveryRow]:
    async with db.sessions() as session:
        stmt = select(WebhookDeliveryRow).where(WebhookDeliveryRow.subscription_id == sub_id)
        return sorted((await session.exec(stmt)).all(), key=lambda d: d.sequence)


def v1a_valid(public: str, received) -> bool:
    """Checked with `cryptography` directly, not with the portal's own verify function."""
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public.removeprefix("whpk_")))
    content = f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.".encode() + received.body
    for entry in received.headers["webhook-signature"].split(" "):
        version, _, sig = entry.partition(",")
        if version == "v1a":
            key.verify(base64.b64decode(sig), content)  # raises when wrong
            return True
    return False


async def test_a_signed_event_arrives_and_both_signatures_verify(db, service, dispatcher, receiver, keys):
    made = await subscribe(service, receiver, "/ok")
    await emit(db)
    await run_until_idle(dispatcher)
    [got] = receiver.at("/ok")
    assert got.verified is True and got.status == 200
    assert v1a_valid(keys.portal_key.public, got)
    body = json.loads(got.body)
    assert body["type"] == "status.changed" and body["version"] == 1 and body["delivery_sequence"] == 1
    assert body["data"]["to"] == "warning" and body["data"]["attestation"]["id"] == "a" * 64
    assert body["data"]["attestation"]["path"] == "/api/v1/attestations/" + "a" * 64
    assert got.headers["webhook-id"].startswith("msg_") and "." not in got.headers["webhook-id"]
    [d] = await deliveries(db, made["id"])
    assert d.state == "succeeded" and d.attempts == 1 and d.last_status == 200
    log = (await service.deliveries(made["id"]))["items"][0]["log"]
    assert [(a["attempt"], a["status_code"], a["error"]) for a in log] == [(1, 200, None)]


async def test_only_asked_for_types_and_only_events_after_the_subscription(db, service, dispatcher, receiver):
    await emit(db, "status_changed")  # before the subscription: never sent to it
    made = await subscribe(service, receiver, "/ok", events=["key.rotated"])
    await emit(db, "status_changed")
    await emit(db, "key_rotated", {"from": {}, "to": {}})
    await emit(db, "webhook_disabled", {"subscription": "x"}, attestation=None)  # operator-only
    await run_until_idle(dispatcher)
    assert [json.loads(r.body)["type"] for r in receiver.at("/ok")] == ["key.rotated"]
    assert [d.event_type for d in await deliveries(db, made["id"])] == ["key.rotated"]


async def test_retries_keep_the_webhook_id_and_wait_per_the_schedule(db, service, dispatcher, receiver):
    made = await subscribe(service, receiver, "/flaky", "flaky", fail_first=2)
    await emit(db)
    await run_until_idle(dispatcher)
    got = await receiver.until("/flaky", 3)
    assert [r.status for r in got] == [500, 500, 200] and all(r.verified for r in got)
    assert len({r.headers["webhook-id"] for r in got}) == 1
    # Waits of at least the schedule's 0.2 s then 0.4 s between attempts (a lower bound only).
    assert got[1].at - got[0].at >= 0.19 and got[2].at - got[1].at >= 0.39
    [d] = await deliveries(db, made["id"])
    assert d.state == "succeeded" and d.attempts == 3
    log = (await service.deliveries(made["id"]))["items"][0]["log"]
    assert [a["status_code"] for a in log] == [500, 500, 200] and log[0]["error"] == "HTTP 500"


async def test_after_the_last_attempt_a_delivery_is_dead_and_can_be_redelivered(db, service, dispatcher, receiver):
    made = await subscribe(service, receiver, "/fail", "fail")
    await emit(db)
    await run_until_idle(dispatcher)
    [d] = await deliveries(db, made["id"])
    assert d.state == "dead" and d.attempts == 3 and d.next_attempt_at is None
    assert len(receiver.at("/fail")) == 3
    page = await service.deliveries(made["id"], state="dead")
    assert [i["id"] for i in page["items"]] == [d.id]
    receiver.routes["/fail"].behaviour = "ok"
    again = await service.redeliver(made["id"], d.id)
    assert again["state"] == "pending"
    await run_until_idle(dispatcher)
    [d] = await deliveries(db, made["id"])
    assert d.state == "succeeded" and d.attempts == 4
    got = receiver.at("/fail")
    assert len({r.headers["webhook-id"] for r in got}) == 1 and got[-1].status == 200
    log = (await service.deliveries(made["id"]))["items"][0]["log"]
    assert [a["manual"] for a in log] == [False, False, False, True]


async def test_410_disables_the_subscription_with_an_event_and_an_audit_entry(db, service, dispatcher, receiver):
    made = await subscribe(service, receiver, "/gone", "gone")
    await emit(db)
    await emit(db)
    await run_until_idle(dispatcher)
    assert len(receiver.at("/gone")) == 1  # nothing more once disabled
    shown = await service.show(made["id"])
    assert shown["state"] == "disabled" and "410" in shown["disabled_reason"]
    async with db.sessions() as session:
        kinds = [e.kind for e in (await session.exec(select(EngineEventRow))).all()]
        actions = [a.action for a in (await session.exec(select(AuditRow))).all()]
    assert "webhook_disabled" in kinds and "webhook.disabled" in actions
    # The operator's event stays out of the public event list, and the public audit entry names no receiver.
    public = await TrustService(db).events(limit=100)
    assert "webhook_disabled" not in {e["kind"] for e in public["items"]}
    async with db.sessions() as session:
        [entry] = (await session.exec(select(AuditRow).where(AuditRow.action == "webhook.disabled"))).all()
    assert json.loads(entry.detail) == {"subscription": made["id"], "cause": "gone"}
    resumed = await service.resume(made["id"])
    assert resumed["state"] == "active" and resumed["disabled_reason"] is None


async def test_a_subscription_failing_for_too_long_is_disabled(db, keys, receiver):
    settings = faster(disable_after_seconds=1.0, retry_schedule_seconds=(0.0, 0.6, 0.6, 0.6))
    service = WebhookService(db, settings, keys)
    dispatcher = Dispatcher(db, settings, keys, "w")
    try:
        made = await subscribe(service, receiver, "/fail", "fail")
        await emit(db)
        await run_until_idle(dispatcher)
    finally:
        await dispatcher.stop()
    shown = await service.show(made["id"])
    assert shown["state"] == "disabled" and "every attempt failed" in shown["disabled_reason"]


async def test_retry_after_is_honoured(db, service, dispatcher, receiver):
    made = await subscribe(service, receiver, "/throttle", "throttle", retry_after="120")
    await emit(db)
    await dispatcher.tick()
    await dispatcher.drain()
    [d] = await deliveries(db, made["id"])
    assert d.state == "pending" and d.last_status == 429
    async with db.sessions() as session:
        sub = await session.get(WebhookSubscriptionRow, made["id"])
    wait = (aware(d.next_attempt_at) - aware(d.created_at)).total_seconds()
    assert wait >= 119  # not the schedule's 0.2 s
    assert aware(sub.lease_until) >= aware(d.next_attempt_at) - timedelta(seconds=1)  # the subscription is held too
    await dispatcher.tick()
    await dispatcher.drain()
    assert len(receiver.at("/throttle")) == 1


async def test_redirects_are_not_followed(db, service, dispatcher, receiver):
    target = receiver.url("/target")
    made = await subscribe(service, receiver, "/redirect", "redirect", location=target)
    await emit(db)
    await dispatcher.tick()
    await dispatcher.drain()
    assert len(receiver.at("/redirect")) == 1 and receiver.at("/target") == []
    [d] = await deliveries(db, made["id"])
    assert d.last_status == 307 and "not followed" in d.last_error


async def test_a_slow_receiver_never_delays_the_others(db, service, dispatcher, receiver):
    await subscribe(service, receiver, "/slow", "slow", events=["key.rotated"], delay=1.5)
    await subscribe(service, receiver, "/ok", events=["status.changed"])
    await emit(db, "key_rotated", {"from": {}, "to": {}})
    await dispatcher.tick()
    [slow] = await receiver.until("/slow", 1, timeout=5)  # the slow receiver now holds its request
    await emit(db, "status_changed")
    await dispatcher.tick()
    [fast] = await receiver.until("/ok", 1, timeout=5)
    # The fast receiver had its event while the slow one was still holding its request.
    assert slow.done is None or fast.at < slow.done
    await dispatcher.drain()
    assert slow.done is not None and fast.at < slow.done


async def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(db, service, dispatcher, receiver):
    made = await subscribe(service, receiver, "/slow", "slow", delay=3.0)
    await emit(db)
    await dispatcher.tick()
    await dispatcher.drain()
    [d] = await deliveries(db, made["id"])
    assert d.state == "pending" and d.attempts == 1 and "timed out" in d.last_error


async def test_a_receiver_that_goes_away_and_comes_back_gets_the_event(db, service, dispatcher):
    first = Receiver()
    port = first.server.server_address[1]
    made = await subscribe(service, first, "/ok")
    secret_route = first.routes["/ok"]
    first.close()
    await emit(db)
    await dispatcher.tick()
    await dispatcher.drain()
    [d] = await deliveries(db, made["id"])
    assert d.state == "pending" and d.last_status is None and d.last_error
    back = Receiver(port)
    try:
        back.routes["/ok"] = secret_route
        await run_until_idle(dispatcher)
        [got] = await back.until("/ok", 1)
        assert got.verified is True
    finally:
        back.close()


async def test_a_worker_restart_in_a_retry_series_continues_it(db, service, settings, keys, receiver):
    made = await subscribe(service, receiver, "/flaky", "flaky", fail_first=1)
    await emit(db)
    first = Dispatcher(db, settings, keys, "worker-1")
    await first.tick()
    await first.drain()
    await first.stop()  # the worker stops after the first failure
    second = Dispatcher(db, settings, keys, "worker-2")
    try:
        await asyncio.sleep(0.25)
        await run_until_idle(second)
    finally:
        await second.stop()
    got = receiver.at("/flaky")
    assert [r.status for r in got] == [500, 200] and len({r.headers["webhook-id"] for r in got}) == 1
    [d] = await deliveries(db, made["id"])
    assert d.state == "succeeded" and d.attempts == 2


async def test_a_worker_killed_mid_send_leaves_the_attempt_counted_and_due_again(db, service, settings, keys, receiver):
    made = await subscribe(service, receiver, "/slow", "slow", delay=1.0)
    await emit(db)
    first = Dispatcher(db, settings, keys, "worker-1")
    await first.tick()
    await receiver.until("/slow", 1)
    await first.stop(grace=0)  # killed while the receiver still holds the request
    [d] = await deliveries(db, made["id"])
    assert d.state == "pending" and d.attempts == 1  # counted before it was sent
    # Time passes beyond the lease (simulated: the dead worker's lease and the retry are due now).
    async with db.sessions() as session:
        await session.exec(text("UPDATE webhook_subscription SET lease_until = NULL"))
        await session.exec(text("UPDATE webhook_delivery SET next_attempt_at = created_at"))
        await session.commit()
    receiver.routes["/slow"].delay = 0.0
    second = Dispatcher(db, settings, keys, "worker-2")
    try:
        await run_until_idle(second)
    finally:
        await second.stop()
    got = receiver.at("/slow")
    assert len(got) == 2 and got[0].headers["webhook-id"] == got[1].headers["webhook-id"]
    [d] = await deliveries(db, made["id"])
    assert d.state == "succeeded" and d.attempts == 2


async def test_an_event_of_a_rolled_back_change_is_never_sent(db, service, dispatcher, receiver):
    await subscribe(service, receiver, "/ok")
    async with db.sessions() as session:
        await events_repo.add(session, kind="status_changed", at=datetime.now(timezone.utc), payload={})
        await session.rollback()
    assert await fan_out(db, datetime.now(timezone.utc)) == 0
    await run_until_idle(dispatcher)
    assert receiver.at("/ok") == []


async def test_ratio_below_fires_on_crossing_only(db, service, dispatcher, receiver):
    url = receiver.url("/ratio")
    made = await service.add(url=url, events=["ratio.below"], threshold_bp=10500)
    receiver.verify_with("/ratio", made["secret"])
    for ratio in ("11000", "10400", "10300", "10600", "10000", None, "10499"):  # as the attestation writes them
        await emit(db, "attestation_published", {"status": "healthy", "ratio_bp": ratio})
    await run_until_idle(dispatcher)
    got = [json.loads(r.body) for r in receiver.at("/ratio")]
    assert [(g["type"], g["data"]["ratio_bp"], g["data"]["threshold_bp"]) for g in got] == [
        ("ratio.below", "10400", 10500),
        ("ratio.below", "10000", 10500),
    ]  # not again for 10499: no ratio (None) is no recovery
    assert [g["delivery_sequence"] for g in got] == [1, 2]


async def test_a_rotated_secret_and_the_old_one_both_sign_during_the_grace(db, keys, receiver):
    from standardwebhooks.webhooks import Webhook

    settings = faster(rotation_grace_seconds=3600)
    service = WebhookService(db, settings, keys)
    dispatcher = Dispatcher(db, settings, keys, "w")
    try:
        made = await subscribe(service, receiver, "/ok")
        rotated = await service.rotate_secret(made["id"])
        assert rotated["secret"] != made["secret"] and rotated["secret_rotation_ends_at"]
        await emit(db)
        await run_until_idle(dispatcher)
    finally:
        await dispatcher.stop()
    [got] = receiver.at("/ok")
    assert got.headers["webhook-signature"].count("v1,") == 2
    for secret in (made["secret"], rotated["secret"]):
        Webhook(secret).verify(got.body, got.headers)


async def test_deliveries_are_refused_at_connect_time_to_private_addresses(db, keys, receiver):
    # The subscription was made while private targets were allowed; the worker now refuses them.
    service = WebhookService(db, faster(), keys)
    strict = Dispatcher(db, faster(allow_private_targets=False), keys, "w")
    try:
        made = await subscribe(service, receiver, "/ok")
        await emit(db)
        await strict.tick()
        await strict.drain()
    finally:
        await strict.stop()
    assert receiver.at("/ok") == []
    [d] = await deliveries(db, made["id"])
    assert d.state == "pending" and "loopback" in d.last_error


async def test_two_workers_deliver_every_attempt_once_in_order(db, service, settings, keys, receiver):
    paths = [f"/r{i}" for i in range(3)]
    for p in paths:
        await subscribe(service, receiver, p)
    for i in range(20):
        await emit(db, payload={"from": "healthy", "to": "warning", "reason": str(i), "ratio_bp": i})
    workers = [Dispatcher(db, settings, keys, f"worker-{n}") for n in (1, 2)]
    try:
        await asyncio.gather(*(run_until_idle(w) for w in workers))
        for w in workers:
            await run_until_idle(w)
    finally:
        for w in workers:
            await w.stop()
    for p in paths:
        got = receiver.at(p)
        ids = [r.headers["webhook-id"] for r in got]
        assert len(ids) == 20 and len(set(ids)) == 20, p  # every event once, none twice
        bodies = [json.loads(r.body) for r in got]
        assert [b["delivery_sequence"] for b in bodies] == list(range(1, 21))  # first attempts in event order
        assert [b["data"]["reason"] for b in bodies] == [str(i) for i in range(20)]
        assert all(r.verified for r in got)


@pytest.mark.parametrize("n", [1])
async def test_fan_out_is_idempotent_per_event(db, service, receiver, n):
    made = await subscribe(service, receiver, "/ok")
    await emit(db)
    assert await fan_out(db, datetime.now(timezone.utc)) == n
    assert await fan_out(db, datetime.now(timezone.utc)) == 0
    assert len(await deliveries(db, made["id"])) == n
