"""The live event stream of one web process: one poller of the outbox, fanned out to every listener.

`EventHub` polls the outbox (through EventFeed) about once a `poll_seconds`, and only while someone
listens; each listener has a bounded queue, and one that falls `queue_size` events behind is
dropped (it resumes with its last id). Events go out in id order, each once per connection.

Ids are given when a transaction inserts, not when it commits: on PostgreSQL a later id can become
visible before an earlier one. The poller therefore holds events behind a hole in the ids for up to
`gap_seconds`, and then passes the hole (a rolled-back insert leaves one for good).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable

from sqlalchemy.exc import SQLAlchemyError

from reserves.errors import ReservesError
from reserves.read.event_feed import EventFeed, StreamEvent

log = logging.getLogger(__name__)

RESUME_LIMIT = 1000  # missed events replayed on one connection; the client reconnects for the rest
POLL_BATCH = 1000
QUEUE_SIZE = 256
GAP_SECONDS = 5.0


class StreamsFull(ReservesError):
    """Every stream slot of this process is taken; the client should retry later or another replica."""

    code = "too_many_streams"
    retry_after = 5


class Subscription:
    """One listener: what it missed (read when it joined), then the hub's live events from its queue."""

    def __init__(self, hub: EventHub, start: int, queue_size: int):
        self.hub = hub
        self.start = start  # the hub's cursor when it joined: live events have larger ids
        self.queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue(queue_size)
        self.backlog: list[StreamEvent] = []
        self.truncated = False
        self.last = start
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
        was dropped, or when the hub stops.
        """
        try:
            for missed in self.backlog:
                if missed.public:
                    yield missed
            if self.truncated:
                return
            while not self.closed:
                event: StreamEvent | None
                try:
                    event = await asyncio.wait_for(self.queue.get(), heartbeat)
                except TimeoutError:
                    yield None
                    continue
                if event is None or self.closed:
                    return
                if event.id > self.last:
                    self.last = event.id
                    yield event
        finally:
            self.hub.unsubscribe(self)


class EventHub:
    """The one outbox poller of a web process; `start` and `stop` follow the app's lifespan."""

    def __init__(
        self,
        feed: EventFeed,
        *,
        poll_seconds: float = 1.0,
        heartbeat_seconds: float = 15.0,
        max_clients: int = 200,
        queue_size: int = QUEUE_SIZE,
        gap_seconds: float = GAP_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.feed = feed
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.max_clients = max_clients
        self.queue_size = queue_size
        self.gap_seconds = gap_seconds
        self.clock = clock
        self.cursor = 0  # every event up to here was fanned out (or passed as a hole)
        self.polls = 0
        self._gap_since: float | None = None
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

    async def subscribe(self, cursor: int | None) -> Subscription:
        """A new listener from `cursor` (the last id it saw), or from now when None.

        Raises StreamsFull when `max_clients` listen already.
        """
        async with self._lock:
            if len(self._subs) >= self.max_clients:
                raise StreamsFull(f"this server streams to {self.max_clients} clients already; retry shortly")
            if not self._subs:
                # Nobody listened, so nothing was polled: start from the newest stored event.
                self.cursor, self._gap_since = await self.feed.newest_id(), None
            sub = Subscription(self, self.cursor, self.queue_size)
            self._subs.add(sub)
        self._wake.set()
        try:
            await self._load_backlog(sub, cursor)
        except BaseException:
            self.unsubscribe(sub)
            raise
        return sub

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
            events = await self.feed.since(self.cursor, limit=POLL_BATCH)
            for event in self._settled(events):
                self.cursor = event.id
                if event.public:
                    self._fan_out(event)

    def _settled(self, events: list[StreamEvent]) -> list[StreamEvent]:
        """The prefix of `events` that may go out now: up to the first hole younger than `gap_seconds`."""
        out: list[StreamEvent] = []
        expected = self.cursor + 1
        for event in events:
            if event.id != expected:
                now = self.clock()
                if self._gap_since is None:
                    self._gap_since = now
                if now - self._gap_since < self.gap_seconds:
                    break
            self._gap_since = None
            out.append(event)
            expected = event.id + 1
        return out

    def _fan_out(self, event: StreamEvent) -> None:
        for sub in list(self._subs):
            if not sub.offer(event):
                log.info("event stream: a client fell %d events behind and was dropped", self.queue_size)
                self._subs.discard(sub)
