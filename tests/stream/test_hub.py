"""EventHub over a real (SQLite) outbox, without HTTP: slow listeners, holes in the ids, idle polling."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.clients import client_key
from reserves.errors import InvalidInput
from reserves.read.event_feed import EventFeed, parse_cursor
from reserves.read.stream import ClientStreamsFull, EventHub, StreamsFull
from reserves.storage.db import Database, open_database
from reserves.storage.engine_models import EngineEventRow
from tests.stream.conftest import wait_until, write
from tests.templates import migrated_sqlite


@pytest.fixture
async def outbox(tmp_path) -> AsyncIterator[Database]:
    migrated_sqlite(tmp_path / "reserves.db")
    db = open_database(f"sqlite:///{tmp_path / 'reserves.db'}")
    try:
        yield db
    finally:
        await db.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def take(sub, n: int) -> list[int]:
    """The ids of the next `n` events of `sub` (fewer when its stream ends); then it leaves."""
    got: list[int] = []
    async with aclosing(sub.events(heartbeat=5)) as events:
        async for event in events:
            if event is not None:
                got.append(event.id)
                if len(got) == n:
                    break
    return got


async def test_a_listener_that_never_reads_is_dropped_and_the_others_get_everything(outbox):
    hub = EventHub(EventFeed(outbox), queue_size=8)  # polled by hand: not started
    slow, fast = await hub.subscribe(None), await hub.subscribe(None)
    reader = asyncio.create_task(take(fast, 10))
    rows = await write(outbox, *["status_changed"] * 5)
    await hub.poll_once()
    await asyncio.sleep(0.1)  # the fast reader drains its queue; the slow one never does
    rows += await write(outbox, *["status_changed"] * 5)
    await hub.poll_once()
    assert await asyncio.wait_for(reader, 5) == [r.id for r in rows]
    assert slow.closed and hub.listeners == 0  # the fast one finished reading and left
    assert [e async for e in slow.events(heartbeat=5)] == []  # it ends at once; it resumes from its last id


async def test_the_poller_reads_only_while_someone_listens(outbox):
    hub = EventHub(EventFeed(outbox), poll_seconds=0.02)
    hub.start()
    try:
        await asyncio.sleep(0.2)
        assert hub.polls == 0
        sub = await hub.subscribe(None)
        await wait_until(lambda: hub.polls >= 3)  # a condition, not a count in a fixed time: machines are loaded
        hub.unsubscribe(sub)
        await asyncio.sleep(0.05)
        idle = hub.polls
        await asyncio.sleep(0.2)
        assert hub.polls <= idle + 1  # at most the poll that was under way
    finally:
        await hub.stop()


async def test_stop_ends_every_stream(outbox):
    hub = EventHub(EventFeed(outbox), poll_seconds=0.02)
    hub.start()
    sub = await hub.subscribe(None)
    reader = asyncio.create_task(take(sub, 1))
    await asyncio.sleep(0.05)
    await hub.stop()
    assert await asyncio.wait_for(reader, 2) == []


async def test_the_cap_counts_listeners_and_frees_a_slot_on_leaving(outbox):
    hub = EventHub(EventFeed(outbox), max_clients=1)
    first = await hub.subscribe(None)
    with pytest.raises(StreamsFull) as err:
        await hub.subscribe(None)
    assert err.value.retry_after == 5
    hub.unsubscribe(first)
    await hub.subscribe(None)


async def test_each_client_key_has_its_own_cap_and_an_ipv6_host_counts_per_64(outbox):
    hub = EventHub(EventFeed(outbox), max_per_client=2)
    held = [await hub.subscribe(None, client_key("2001:db8:1:2::1"))]  # held: a dropped one frees its slot
    held.append(await hub.subscribe(None, client_key("2001:db8:1:2:ffff::9")))  # same /64
    with pytest.raises(ClientStreamsFull) as err:
        await hub.subscribe(None, client_key("2001:db8:1:2::abcd"))
    assert err.value.code == "too_many_client_streams" and err.value.retry_after == 30
    held.append(await hub.subscribe(None, client_key("2001:db8:1:3::1")))  # another /64
    held.append(await hub.subscribe(None, client_key("192.0.2.1")))
    held.append(await hub.subscribe(None, client_key("::ffff:192.0.2.1")))  # the same IPv4 client
    with pytest.raises(ClientStreamsFull):
        await hub.subscribe(None, client_key("192.0.2.1"))
    hub.unsubscribe(held[0])
    held.append(await hub.subscribe(None, client_key("2001:db8:1:2::abcd")))
    assert hub.listeners == 5


async def test_a_stream_ends_by_itself_after_its_lifetime_and_resumes_without_loss(outbox):
    hub = EventHub(EventFeed(outbox), max_seconds=0.5, poll_seconds=0.02)
    hub.start()
    try:
        sub = await hub.subscribe(None)
        got = await asyncio.wait_for(take(sub, 1000), 10)  # heartbeat 5 s: only the lifetime ends it
        assert got == [] and sub.closed and hub.listeners == 0
        rows = await write(outbox, "status_changed", "source_stale")  # while it reconnects
        again = await hub.subscribe(sub.last)
        assert await asyncio.wait_for(take(again, 2), 10) == [r.id for r in rows]
    finally:
        await hub.stop()


async def test_a_listener_dropped_without_reading_frees_its_slot(outbox):
    hub = EventHub(EventFeed(outbox), max_clients=1)
    await hub.subscribe(None)  # its response never started: nothing holds it
    await hub.subscribe(None)


async def insert_at(db: Database, event_id: int) -> None:
    async with db.sessions() as session, session.begin():
        session.add(EngineEventRow(id=event_id, at=datetime.now(timezone.utc), kind="status_changed", payload="{}"))


async def test_a_hole_in_the_ids_holds_later_events_until_it_fills(outbox):
    hub = EventHub(EventFeed(outbox), clock=Clock())
    sub = await hub.subscribe(None)
    start = hub.cursor
    await insert_at(outbox, start + 2)  # committed before start + 1 (PostgreSQL may do this)
    await hub.poll_once()
    assert sub.queue.empty() and hub.cursor == start
    await insert_at(outbox, start + 1)
    await hub.poll_once()
    assert await take(sub, 2) == [start + 1, start + 2]


async def test_a_hole_that_never_fills_is_passed_after_the_grace_period(outbox):
    clock = Clock()
    hub = EventHub(EventFeed(outbox), clock=clock, gap_seconds=5)
    sub = await hub.subscribe(None)
    start = hub.cursor
    await insert_at(outbox, start + 2)  # start + 1 was rolled back
    await hub.poll_once()
    clock.now = 4.9
    await hub.poll_once()
    assert sub.queue.empty()
    clock.now = 5.0
    await hub.poll_once()
    assert await take(sub, 1) == [start + 2] and hub.cursor == start + 2


async def test_the_first_listener_on_sqlite_starts_after_the_newest_event(outbox):
    await write(outbox, "status_changed", "source_stale")
    hub = EventHub(EventFeed(outbox))
    sub = await hub.subscribe(None)
    assert sub.start == hub.cursor == (await EventFeed(outbox).start_point(10))[0]
    rows = await write(outbox, "source_recovered")
    await hub.poll_once()
    assert await take(sub, 1) == [rows[0].id]


async def test_envelopes_are_those_of_the_webhooks(outbox):
    rows = await write(outbox, "attestation_final", "webhook_disabled", attestation_id="ab" * 32, sequence=7)
    events = await EventFeed(outbox).since(rows[0].id - 1, limit=10)
    assert [e.type for e in events] == ["attestation.finalized", None] and events[1].data is None
    data = json.loads(events[0].data)["data"]
    assert data["event_id"] == rows[0].id and data["attestation"]["sequence"] == 7


@pytest.mark.parametrize(
    ("value", "want"), [(None, None), ("", None), ("0", 0), ("42", 42), (str(2**53 - 1), 2**53 - 1)]
)
def test_cursors_that_parse(value, want):
    assert parse_cursor(value, "after") == want


@given(st.text(max_size=40))
def test_any_text_is_a_cursor_in_range_or_invalid_input(value):
    try:
        cursor = parse_cursor(value, "after")
    except InvalidInput as exc:
        assert exc.detail.startswith("after: ")
        return
    if value == "":
        assert cursor is None
    else:
        assert value.isascii() and value.isdigit() and cursor == int(value) and 0 <= cursor <= 2**53 - 1


async def test_an_unreadable_payload_is_passed_not_sent_and_never_stalls(outbox):
    hub = EventHub(EventFeed(outbox))
    sub = await hub.subscribe(None)
    async with outbox.sessions() as session, session.begin():
        session.add(EngineEventRow(at=datetime.now(timezone.utc), kind="status_changed", payload="{not json"))
    good = await write(outbox, "source_stale")
    await hub.poll_once()
    assert await take(sub, 1) == [good[0].id]
