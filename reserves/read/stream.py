"""The live event stream of one web process: one poller of the outbox, fanned out to every listener.

`EventHub` polls the outbox (through EventFeed) about once a `poll_seconds`, and only while someone
listens. Each listener has a bounded queue (one that falls `queue_size` events behind is dropped),
a lifetime of `max_seconds` (then its stream ends and the client resumes with its last id), and
counts against `max_clients` per process and `max_per_client` per client key (an address, an IPv6
/64). Events go out in id order, each once per connection, so a client's last id always means
"everything up to here": resuming from it loses nothing.

Commit order. Ids are taken when a transaction inserts, not when it commits: on PostgreSQL a later
id can become visible before an earlier one, whose transaction may run for any time, or roll back
and leave a hole for good. The poller therefore never passes a hole (an id it cannot see, below one
it can) while a transaction that could still commit it runs:

- With each read of the outbox it reads the transactions in progress (`pg_current_snapshot()`).
  A hole seen in read k is watched; the in-progress set of read k + 1 (taken after read k, so it
  lists every still-running transaction that took an id before read k) is the set the hole waits
  for. Once none of them runs, every id they took is visible or never will be: the hole is passed.
- A hole is also held at least `gap_seconds` (an insert takes its id a moment before its
  transaction has an xid), and at most `hole_max_seconds`: a transaction open longer than that
  (which also holds back vacuum) cannot stall every stream; its event, when it commits, is still
  in the outbox for /api/v1/events and webhooks, but not sent live.
- SQLite has one writer at a time, which holds the database until it commits: a hole there is a
  rolled-back or deleted row, passed after `gap_seconds`.
- When the first listener joins (nobody listened, nothing was polled), the cursor starts at the
  newest stored id, or, on PostgreSQL while transactions run, just below the first hole among the
  last `START_WINDOW` ids, so that an earlier id still committing is not jumped over. Events already
  stored then are not sent to a listener without a cursor (each subscription skips what the hub
  had read but still held when it joined).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from reserves.errors import ReservesError, TooManyRequests
from reserves.read.event_feed import EventFeed, StreamEvent

log = logging.getLogger(__name__)

RESUME_LIMIT = 1000  # missed events replayed on one connection; the client reconnects for the rest
POLL_BATCH = 1000
START_WINDOW = 1000  # ids below the newest searched for holes when the first listener joins
QUEUE_SIZE = 256
GAP_SECONDS = 5.0
HOLE_MAX_SECONDS = 600.0


class StreamsFull(ReservesError):
    """Every stream slot of this process is taken; the client should retry later or another replica."""

    code = "too_many_streams"
    retry_after = 5


class ClientStreamsFull(TooManyRequests):
    """This client (address, IPv6 /64) holds its share of streams already; it should close one first."""

    code = "too_many_client_streams"
    retry_after = 30


class Subscription:
    """One listener: what it missed (read when it joined), then the hub's live events from its queue."""

    def __init__(self, hub: EventHub, start: int, client: str, expires: float):
        self.hub = hub
        self.start = start  # the hub's cursor when it joined: live events have larger ids
        self.client = client
        self.expires = expires  # time.monotonic() when its stream ends
        self.queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue(hub.queue_size)
        self.backlog: list[StreamEvent] = []
        self.truncated = False
        self.last = start
        self.skip: frozenset[int] = frozenset()  # held ids stored before it joined (none with a cursor)
        self.closed = False

    def offer(self, event: StreamEvent) -> bool:
        """Queue `event`; False (and closed) when the queue is full: the listener is too slow."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.closed = True
            return False
        return True

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)

    async def events(self, heartbeat: float) -> AsyncIterator[StreamEvent | None]:
        """Public events in id order, each once; None after `heartbeat` seconds without one.

        Ends after a truncated backlog (the client resumes from the last id), when the listener
        was dropped, when its lifetime is over, or when the hub stops.
        """
        try:
            for missed in self.backlog:
                if missed.public:
                    yield missed
            if self.truncated:
                return
            while not self.closed:
                left = self.expires - time.monotonic()
                if left <= 0:
                    return
                event: StreamEvent | None
                try:
                    event = await asyncio.wait_for(self.queue.get(), min(heartbeat, left))
                except TimeoutError:
                    if time.monotonic() < self.expires:
                        yield None
                    continue
                if event is None or self.closed:
                    return
                if event.id > self.last and event.id not in self.skip:
                    self.last = event.id
                    yield event
        finally:
            self.hub.unsubscribe(self)


@dataclass
class HoleWatch:
    """Missing ids `lo`..`hi`, first seen at `since` (hub clock); `xids`: the transactions that
    were in progress at the read after (None until that read, or on a one-writer database)."""

    lo: int
    hi: int
    since: float
    armed: bool = False
    xids: frozenset[int] | None = None
    warned: bool = False


class EventHub:
    """The one outbox poller of a web process; `start` and `stop` follow the app's lifespan."""

    def __init__(
        self,
        feed: EventFeed,
        *,
        poll_seconds: float = 1.0,
        heartbeat_seconds: float = 15.0,
        max_clients: int = 200,
        max_per_client: int = 4,
        max_seconds: float = 1800.0,
        queue_size: int = QUEUE_SIZE,
        gap_seconds: float = GAP_SECONDS,
        hole_max_seconds: float = HOLE_MAX_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.feed = feed
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.max_clients = max_clients
        self.max_per_client = max_per_client
        self.max_seconds = max_seconds
        self.queue_size = queue_size
        self.gap_seconds = gap_seconds
        self.hole_max_seconds = hole_max_seconds
        self.clock = clock  # for holes; lifetimes use time.monotonic
        self.cursor = 0  # every event up to here was fanned out (or passed as a hole)
        self.polls = 0
        self._held: frozenset[int] = frozenset()  # stored ids above the cursor, behind a hole
        self._watches: list[HoleWatch] = []
        # Weak: a listener whose response was dropped before its stream began still frees its slot.
        self._subs: weakref.WeakSet[Subscription] = weakref.WeakSet()
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def listeners(self) -> int:
        return len(self._subs)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="event-stream-poller")

    async def stop(self) -> None:
        """Stop polling and end every stream (their clients reconnect elsewhere)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for sub in list(self._subs):
            sub.close()

    async def subscribe(self, cursor: int | None, client: str = "") -> Subscription:
        """A new listener from `cursor` (the last id it saw), or from now when None.

        Raises StreamsFull when `max_clients` listen already, ClientStreamsFull when `client` (its
        key: see portal.clients.client_key) holds `max_per_client` streams.
        """
        async with self._lock:
            if len(self._subs) >= self.max_clients:
                raise StreamsFull(f"this server streams to {self.max_clients} clients already; retry shortly")
            if sum(1 for s in self._subs if s.client == client) >= self.max_per_client:
                raise ClientStreamsFull(
                    f"at most {self.max_per_client} streams per client address; close one before opening another"
                )
            if not self._subs:
                await self._restart()  # nobody listened, so nothing was polled
            sub = Subscription(self, self.cursor, client, time.monotonic() + self.max_seconds)
            if cursor is None:
                sub.skip = self._held
            self._subs.add(sub)
        self._wake.set()
        try:
            await self._load_backlog(sub, cursor)
        except BaseException:
            self.unsubscribe(sub)
            raise
        return sub

    async def _restart(self) -> None:
        """Start from the newest stored event, or below the first hole a running transaction may fill."""
        newest, stored = await self.feed.start_point(START_WINDOW)
        self.cursor, self._held, self._watches = newest, frozenset(), []
        if stored is None:
            return
        expected = max(newest - START_WINDOW, 0) + 1
        for i, event_id in enumerate(stored):
            if event_id != expected:
                self.cursor, self._held = expected - 1, frozenset(stored[i:])
                return
            expected = event_id + 1

    async def _load_backlog(self, sub: Subscription, cursor: int | None) -> None:
        if cursor is None:
            return
        if cursor < sub.start:
            missed = await self.feed.since(cursor, upto_id=sub.start, limit=RESUME_LIMIT + 1)
            sub.backlog, sub.truncated = missed[:RESUME_LIMIT], len(missed) > RESUME_LIMIT
        sub.last = max(cursor, sub.start)

    def unsubscribe(self, sub: Subscription) -> None:
        sub.closed = True
        self._subs.discard(sub)

    def drop(self, sub: Subscription) -> None:
        """End `sub` now and free its slot (its client stopped reading); its stream ends when next resumed."""
        self.unsubscribe(sub)
        sub.close()

    async def _run(self) -> None:
        while True:
            if not self._subs:
                self._wake.clear()
                await self._wake.wait()
                continue
            try:
                await self.poll_once()
            except SQLAlchemyError as exc:  # the database is down: streams wait, and heartbeats go on
                log.warning("event stream: cannot read the outbox (%s)", type(exc).__name__)
            except Exception:  # never let one bad poll end the poller of every stream
                log.exception("event stream: poll failed")
            await asyncio.sleep(self.poll_seconds)

    async def poll_once(self) -> None:
        """One read of the outbox after the cursor; new public events go to every listener."""
        async with self._lock:
            self.polls += 1
            running, events = await self.feed.poll(self.cursor, limit=POLL_BATCH)
            for watch in self._watches:
                if not watch.armed:  # seen at the read before this one: wait for what ran then
                    watch.armed, watch.xids = True, running
            ready = self._settled(events, running)
            for event in ready:
                self.cursor = event.id
                if event.public:
                    self._fan_out(event)
            self._held = frozenset(e.id for e in events[len(ready) :])
            self._watches = [w for w in self._watches if w.hi > self.cursor]

    def _settled(self, events: list[StreamEvent], running: frozenset[int] | None) -> list[StreamEvent]:
        """The prefix of `events` that may go out now: up to the first hole that may still fill."""
        now = self.clock()
        out: list[StreamEvent] = []
        expected, blocked = self.cursor + 1, False
        for event in events:
            if event.id != expected:
                watch = self._watch(expected, event.id - 1, now)  # every hole is watched, even behind one
                blocked = blocked or not self._passable(watch, running, now)
            if not blocked:
                out.append(event)
            expected = event.id + 1
        return out

    def _watch(self, lo: int, hi: int, now: float) -> HoleWatch:
        # A hole only shrinks as ids fill in: what is left of an older one keeps its watch.
        for watch in self._watches:
            if watch.lo <= lo <= watch.hi:
                return watch
        watch = HoleWatch(lo, hi, now)
        self._watches.append(watch)
        return watch

    def _passable(self, watch: HoleWatch, running: frozenset[int] | None, now: float) -> bool:
        age = now - watch.since
        if age >= self.hole_max_seconds:
            if not watch.warned:
                watch.warned = True
                log.warning(
                    "event stream: passing ids %d-%d after %.0f s (a transaction open that long?)",
                    watch.lo,
                    watch.hi,
                    age,
                )
            return True
        if age < self.gap_seconds:
            return False
        if running is None:  # one writer at a time: an old hole is a rollback or a deleted row
            return True
        return watch.armed and watch.xids is not None and not watch.xids & running

    def _fan_out(self, event: StreamEvent) -> None:
        for sub in list(self._subs):
            if not sub.offer(event):
                log.info("event stream: a client fell %d events behind and was dropped", self.queue_size)
                self._subs.discard(sub)
