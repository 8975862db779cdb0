"""EventHub on a real PostgreSQL server: ids are taken at insert and become visible at commit, so a
lower id can commit after a higher one, and a transaction may hold its id for any time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timezone

import pytest

from reserves.read.event_feed import EventFeed
from reserves.read.stream import EventHub
from reserves.storage import events as events_repo
from reserves.storage.db import Database, open_database
from tests.pg import copy_database, fresh_database
from tests.stream.test_hub import take

HELD = 2.0  # seconds the early transaction stays open: four times the hub's gap_seconds below
GAP = 0.5


@pytest.fixture
async def pg_outbox(pg_server, pg_migrated_template) -> AsyncIterator[Database]:
    with fresh_database(pg_server) as url:
        await asyncio.to_thread(copy_database, pg_migrated_template, url)  # at head (tests.templates)
        db = open_database(url)
        try:
            yield db
        finally:
            await db.dispose()


async def add(session, kind: str) -> int:
    await events_repo.add(session, kind=kind, at=datetime.now(timezone.utc), payload={})
    return await events_repo.newest_id(session)  # the transaction sees its own row


async def late_and_early(db: Database) -> tuple[asyncio.Task[int], int, asyncio.Event]:
    """A transaction takes an id and stays open until the returned event is set; a second one takes
    the next id and commits at once. (the first's task, the second's id, the event)"""
    taken, release = asyncio.Event(), asyncio.Event()

    async def early() -> int:
        async with db.sessions() as session, session.begin():
            event_id = await add(session, "source_stale")
            taken.set()
            await release.wait()
        return event_id

    task = asyncio.create_task(early())
    await taken.wait()
    async with db.sessions() as session, session.begin():
        later = await add(session, "source_recovered")
    return task, later, release


async def test_a_lower_id_committed_long_after_a_higher_one_reaches_a_live_listener_once(pg_outbox):
    hub = EventHub(EventFeed(pg_outbox), poll_seconds=0.05, gap_seconds=GAP)
    hub.start()
    try:
        sub = await hub.subscribe(None)
        reader = asyncio.create_task(take(sub, 3))
        task, later, release = await late_and_early(pg_outbox)
        await asyncio.sleep(HELD)  # many polls, each past the gap: the hole is held while its transaction runs
        assert not reader.done() and sub.queue.empty() and hub.cursor < later
        release.set()
        early = await task
        assert early < later
        async with pg_outbox.sessions() as session, session.begin():
            last = await add(session, "status_changed")
        assert await asyncio.wait_for(reader, 20) == [early, later, last]  # each once, in id order
    finally:
        await hub.stop()


async def test_the_first_listener_does_not_jump_over_an_id_still_committing(pg_outbox):
    hub = EventHub(EventFeed(pg_outbox), poll_seconds=0.05, gap_seconds=GAP)
    hub.start()
    try:
        task, later, release = await late_and_early(pg_outbox)
        sub = await hub.subscribe(None)  # the newest id is `later`; `early` is still open below it
        reader = asyncio.create_task(take(sub, 2))
        await asyncio.sleep(HELD)
        release.set()
        early = await task
        async with pg_outbox.sessions() as session, session.begin():
            last = await add(session, "status_changed")
        # `later` was stored before this listener joined: not sent; `early` committed after: sent.
        assert await asyncio.wait_for(reader, 20) == [early, last]
    finally:
        await hub.stop()


async def test_a_rolled_back_id_is_passed_once_no_transaction_could_fill_it(pg_outbox):
    hub = EventHub(EventFeed(pg_outbox), poll_seconds=0.05, gap_seconds=GAP)
    hub.start()
    try:
        sub = await hub.subscribe(None)
        reader = asyncio.create_task(take(sub, 1))
        async with pg_outbox.sessions() as session:
            async with session.begin():
                await add(session, "source_stale")
                await session.rollback()
        async with pg_outbox.sessions() as session, session.begin():
            kept = await add(session, "source_recovered")
        assert await asyncio.wait_for(reader, 20) == [kept]
    finally:
        await hub.stop()


async def test_a_writer_with_an_xid_above_the_snapshot_xmax_counts_as_running(pg_server):
    """Review: `pg_current_snapshot()` does not list a running transaction whose xid is at or above
    its xmax; the hole it holds must still count as possibly filled (pg_stat_activity lists it)."""
    import psycopg

    from reserves.storage.db import open_database, sync_url
    from reserves.storage.events import running_xids
    from tests.pg import fresh_database

    with fresh_database(pg_server) as url:
        plain = sync_url(url).replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as c:
            c.execute("CREATE TABLE probe (id serial PRIMARY KEY, v int)")
        first, second = psycopg.connect(plain), psycopg.connect(plain)
        try:
            first.execute("SELECT pg_current_xact_id()")
            late = int(str(second.execute("SELECT pg_current_xact_id()").fetchone()[0]))
            second.execute("INSERT INTO probe (v) VALUES (1)")  # takes id 1, stays open
            first.execute("INSERT INTO probe (v) VALUES (2)")
            first.commit()  # id 2 visible: a hole at 1 that `second` may still fill
            db = open_database(url)
            try:
                async with db.sessions() as session:
                    running = await running_xids(session)
            finally:
                await db.dispose()
            assert running is not None and (late & 0xFFFFFFFF) in running
        finally:
            second.rollback()
            first.close()
            second.close()
