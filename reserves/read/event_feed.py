"""The public event feed: outbox rows as stream events (id, type, compact JSON envelope), and its cursor.

The outbox (`engine_event`) ids increase; a client's cursor is the id of the last event it saw.
Operator-only events (reserves.webhooks.catalogue.PRIVATE_KINDS) keep their id in the feed, so a
cursor can pass them, but carry no type and no data and are never sent.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from reserves.errors import InvalidInput
from reserves.storage import events as events_repo
from reserves.storage.db import Database
from reserves.storage.engine_models import EngineEventRow
from reserves.webhooks.catalogue import body_bytes, envelope_of

log = logging.getLogger(__name__)

MAX_CURSOR = 2**53 - 1  # ids travel through JavaScript (EventSource's lastEventId) as numbers
_CURSOR = re.compile(r"[0-9]{1,16}")


@dataclass(frozen=True)
class StreamEvent:
    """One outbox event: `type` and `data` (the envelope as compact JSON) are None for an operator-only one."""

    id: int
    type: str | None
    data: str | None

    @property
    def public(self) -> bool:
        return self.type is not None


def stream_event(row: EngineEventRow) -> StreamEvent:
    event_id = int(row.id or 0)  # a stored row always has its id
    try:
        env = envelope_of(row)
    except (ValueError, TypeError):
        # A payload that is not JSON cannot be sent; its id still passes, so it never stalls the stream.
        log.warning("event stream: event %d has no readable payload; not sent", event_id)
        env = None
    if env is None:
        return StreamEvent(event_id, None, None)
    return StreamEvent(event_id, env["type"], body_bytes(env).decode())


def parse_cursor(value: str | None, name: str) -> int | None:
    """A client's cursor (`Last-Event-ID` or `after`): a decimal id from 0 to 2**53 - 1; None when absent.

    Anything else is InvalidInput (a 400), checked before any conversion so no input is costly.
    """
    if value is None or value == "":
        return None
    if len(value) > 16 or not _CURSOR.fullmatch(value) or int(value) > MAX_CURSOR:
        raise InvalidInput(f"{name}: an event id, a decimal integer from 0 to {MAX_CURSOR}")
    return int(value)


class EventFeed:
    """Reads the outbox for the event stream (web role, database only)."""

    def __init__(self, db: Database):
        self.db = db

    async def newest_id(self) -> int:
        """The newest stored event's id (0 when there is none): where a stream without a cursor starts."""
        async with self.db.sessions() as session:
            return await events_repo.newest_id(session)

    async def poll(self, after_id: int, *, limit: int) -> tuple[frozenset[int] | None, list[StreamEvent]]:
        """The transactions in progress (PostgreSQL; None elsewhere), read just before the events
        after `after_id` (oldest first, at most `limit`): one read of the poller."""
        async with self.db.sessions() as session:
            running = await events_repo.running_xids(session)
            rows = await events_repo.after(session, after_id=after_id, limit=limit)
        return running, [stream_event(r) for r in rows]

    async def start_point(self, window: int) -> tuple[int, list[int] | None]:
        """The newest stored id (0 when none) and, when a transaction in progress might still commit a
        lower one (PostgreSQL), the ids stored among the `window` ids up to it (else None)."""
        async with self.db.sessions() as session:
            newest = await events_repo.newest_id(session)
            # Read after the newest id: a transaction that took a lower id and still runs is listed.
            running = await events_repo.running_xids(session)
            if not running:
                return newest, None
            return newest, await events_repo.ids_in(session, after_id=max(newest - window, 0), upto_id=newest)

    async def since(self, after_id: int, *, upto_id: int | None = None, limit: int) -> list[StreamEvent]:
        """Events after `after_id` (up to `upto_id`), oldest first, at most `limit` (private ones included)."""
        async with self.db.sessions() as session:
            rows = await events_repo.after(session, after_id=after_id, upto_id=upto_id, limit=limit)
        return [stream_event(r) for r in rows]
