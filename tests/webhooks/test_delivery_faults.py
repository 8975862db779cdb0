"""Review findings, each a test: a subscription that recovered is not disabled by one later failure;
pause and a new URL apply at the next attempt; a lost secrets key is recoverable by rotation;
events are kept while a subscription is disabled; redelivery is immediate; a bad event does not
stop delivery; a rolled-back snapshot sends nothing."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime, timedelta, timezone

from sqlmodel import select

from reserves.storage.engine_models import EngineEventRow
from reserves.storage.webhook_models import WebhookDeliveryRow
from reserves.webhooks.dispatcher import Dispatcher
from reserves.webhooks.errors import SubscriptionState
from reserves.webhooks.keys import WebhookKeys
from reserves.webhooks.service import Change, WebhookService
from reserves.webhooks.vault import Vault
from tests.webhooks.conftest import emit, faster, run_until_idle
from tests.webhooks.test_delivery import deliveries, subscribe


async def test_one_failure_long_after_a_recovery_does_not_disable(db, keys, receiver):
    settings = faster(disable_after_seconds=3600, retry_schedule_seconds=(0.0, 0.1))
    offset = [timedelta(0)]
    dispatcher = Dispatcher(db, settings, keys, "w", clock=lambda: datetime.now(timezone.utc) + offset[0])
    service = WebhookService(db, settings, keys)
    try:
        made = await subscribe(service, receiver, "/fail", "fail")
        await emit(db)
        await run_until_idle(dispatcher)  # two failures, then dead
        offset[0] = timedelta(days=14)  # no traffic for two weeks, then one more failure
        await emit(db)
        await dispatcher.tick()
        await dispatcher.drain()
    finally:
        await dispatcher.stop()
    shown = await service.show(made["id"])
    assert shown["state"] == "active", shown["disabled_reason"]


async def test_a_continuous_run_of_failures_does_disable(db, keys, receiver):
    settings = faster(disable_after_seconds=3600, retry_schedule_seconds=(0.0, 1200.0, 1200.0, 1200.0))
    offset = [timedelta(0)]
    dispatcher = Dispatcher(db, settings, keys, "w", clock=lambda: datetime.now(timezone.utc) + offset[0])
    service = WebhookService(db, settings, keys)
    try:
        made = await subscribe(service, receiver, "/fail", "fail")
        await emit(db)
        await dispatcher.tick()
        await dispatcher.drain()
        for _ in range(3):  # a failure every 20 minutes (the schedule's wait) for an hour: one run
            offset[0] += timedelta(minutes=20, seconds=1)
            async with db.sessions() as session:
                from sqlalchemy import text

                await session.exec(text("UPDATE webhook_subscription SET lease_until = NULL"))
                await session.commit()
            await dispatcher.tick()
            await dispatcher.drain()
    finally:
        await dispatcher.stop()
    shown = await service.show(made["id"])
    assert shown["state"] == "disabled" and "every attempt failed" in shown["disabled_reason"]


async def test_pause_and_a_new_url_apply_at_the_next_attempt(db, service, dispatcher, receiver):
    made = await subscribe(service, receiver, "/old", "slow", delay=0.3)
    for _ in range(6):
        await emit(db)
    await dispatcher.tick()
    await receiver.until("/old", 1)
    new_url = receiver.url("/new", "slow", delay=0.3)
    receiver.verify_with("/new", made["secret"])
    await service.update(made["id"], Change(url=new_url))
    await asyncio.sleep(0.35)
    await service.pause(made["id"])
    await dispatcher.drain()
    sent_old, sent_new = len(receiver.at("/old")), len(receiver.at("/new"))
    assert sent_old <= 2 and sent_new <= 2 and sent_old + sent_new < 6  # not the whole batch to the old URL
    await service.resume(made["id"])
    await run_until_idle(dispatcher)
    assert len(receiver.at("/old")) == sent_old  # after the change, nothing more to the old URL
    assert all(r.verified for r in receiver.at("/new"))
    states = [d.state for d in await deliveries(db, made["id"])]
    assert states == ["succeeded"] * 6


async def test_a_lost_secrets_key_is_recovered_by_rotation(db, settings, keys, receiver):
    old = WebhookService(db, settings, keys)
    made = await subscribe(old, receiver, "/ok")
    replaced = WebhookKeys(Vault(os.urandom(32)), keys.portal_key)  # the old key is gone
    service = WebhookService(db, settings, replaced)
    rotated = await service.rotate_secret(made["id"])
    assert rotated["secret_rotation_ends_at"] is None  # nothing usable to keep
    receiver.verify_with("/ok", rotated["secret"])
    dispatcher = Dispatcher(db, settings, replaced, "w")
    try:
        await emit(db)
        await run_until_idle(dispatcher)
    finally:
        await dispatcher.stop()
    [got] = receiver.at("/ok")
    assert got.verified is True and got.status == 200


async def test_events_while_disabled_are_kept_and_numbered(db, service, dispatcher, receiver):
    made = await subscribe(service, receiver, "/gone", "gone")
    await emit(db)
    await run_until_idle(dispatcher)
    assert (await service.show(made["id"]))["state"] == "disabled"
    await emit(db)
    await emit(db)
    await run_until_idle(dispatcher)
    assert len(receiver.at("/gone")) == 1
    receiver.routes["/gone"].behaviour = "ok"
    await service.resume(made["id"])
    await run_until_idle(dispatcher)
    got = [json.loads(r.body)["delivery_sequence"] for r in receiver.at("/gone") if r.status == 200]
    assert got == [1, 2, 3]  # the one that was refused with 410, then both that came while disabled


async def test_redeliver_goes_out_now_even_during_a_hold(db, service, dispatcher, receiver):
    made = await subscribe(service, receiver, "/throttle", "throttle", retry_after="3600")
    await emit(db)
    await dispatcher.tick()
    await dispatcher.drain()
    [d] = await deliveries(db, made["id"])
    receiver.routes["/throttle"].behaviour = "ok"
    await service.redeliver(made["id"], d.id)
    await dispatcher.tick()
    await dispatcher.drain()
    [d] = await deliveries(db, made["id"])
    assert d.state == "succeeded" and [r.status for r in receiver.at("/throttle")] == [429, 200]


async def test_redeliver_of_a_paused_subscription_says_resume_first(db, service, dispatcher, receiver):
    made = await subscribe(service, receiver, "/ok")
    await emit(db)
    await run_until_idle(dispatcher)
    [d] = await deliveries(db, made["id"])
    await service.pause(made["id"])
    try:
        await service.redeliver(made["id"], d.id)
        raise AssertionError("redelivery of a paused subscription was accepted")
    except SubscriptionState as exc:
        assert "resume" in exc.detail


async def test_an_unreadable_event_does_not_stop_delivery(db, service, dispatcher, receiver):
    made = await subscribe(service, receiver, "/ok")
    async with db.sessions() as session:
        session.add(EngineEventRow(at=datetime.now(timezone.utc), kind="status_changed", payload="{not json"))
        session.add(EngineEventRow(at=datetime.now(timezone.utc), kind="status_changed", payload="[1, 2]"))
        await session.commit()
    await emit(db)
    await run_until_idle(dispatcher)
    assert [d.state for d in await deliveries(db, made["id"])] == ["succeeded"]
    async with db.sessions() as session:
        rows = (await session.exec(select(EngineEventRow))).all()
    assert all(r.dispatched_at is not None for r in rows)  # passed, not retried forever


async def test_one_worker_never_serves_a_subscription_twice(db, service, settings, keys, receiver):
    made = await subscribe(service, receiver, "/slow", "slow", delay=0.5)
    for _ in range(3):
        await emit(db)
    dispatcher = Dispatcher(db, settings, keys, "w")
    try:
        await dispatcher.tick()
        await receiver.until("/slow", 1)
        async with db.sessions() as session:  # the lease lapses while the turn still runs
            from sqlalchemy import text

            await session.exec(text("UPDATE webhook_subscription SET lease_until = NULL"))
            await session.commit()
        assert await dispatcher.tick() == 0
        await dispatcher.drain()
    finally:
        await dispatcher.stop()
    got = receiver.at("/slow")
    assert len({r.headers["webhook-id"] for r in got}) == len(got) == 3
    assert [d.attempts for d in await deliveries(db, made["id"])] == [1, 1, 1]


async def test_a_delivery_row_survives_its_subscription_being_deleted_mid_turn(db, service, dispatcher, receiver):
    made = await subscribe(service, receiver, "/slow", "slow", delay=0.3)
    for _ in range(3):
        await emit(db)
    await dispatcher.tick()
    await receiver.until("/slow", 1)
    await service.delete(made["id"])
    await dispatcher.drain()
    assert len(receiver.at("/slow")) == 1
    async with db.sessions() as session:
        assert (await session.exec(select(WebhookDeliveryRow))).all() == []


async def test_concurrent_adds_never_pass_the_limit(db, keys):
    service = WebhookService(db, faster(max_subscriptions=5), keys)

    async def add(i: int):
        try:
            return await service.add(url=f"http://127.0.0.1:9/{i}", events=["status.changed"])
        except SubscriptionState:
            return None

    made = await asyncio.gather(*(add(i) for i in range(20)))
    assert sum(m is not None for m in made) == 5 and len(await service.list()) == 5


async def test_stopping_lets_a_finished_attempt_be_recorded(db, service, settings, keys, receiver):
    """Review: stop() returned while a turn was still recording its last success, so the database was
    closed under it and the event was sent again later."""
    made = await subscribe(service, receiver, "/slow", "slow", delay=0.3)
    await emit(db)
    dispatcher = Dispatcher(db, settings, keys, "w")
    await dispatcher.tick()
    await receiver.until("/slow", 1)
    await dispatcher.stop()  # the answer comes within the grace period
    [d] = await deliveries(db, made["id"])
    assert d.state == "succeeded" and d.attempts == 1
    async with db.sessions() as session:
        from reserves.storage.webhook_models import WebhookSubscriptionRow

        sub = await session.get(WebhookSubscriptionRow, made["id"])
    assert sub.lease_owner is None  # released, not left to expire
