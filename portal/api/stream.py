"""GET /api/v1/events/stream: the public events, live, as Server-Sent Events (from the database only)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from litestar import get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from portal.api.attestations import ErrorBody, error_responses
from portal.deps import Stream
from reserves.read.event_feed import parse_cursor
from reserves.read.stream import Subscription

RETRY_MS = 3000  # how long a client waits before it reconnects
STREAM_PATH = "/api/v1/events/stream"
# Skipped by the compression middleware: a stream is flushed event by event, never buffered.
NO_COMPRESSION = "skip_compression"


async def messages(sub: Subscription, heartbeat: float) -> AsyncIterator[ServerSentEventMessage]:
    """SSE messages of `sub`: reconnection advice first, then `id`/`event`/`data` per event, and a
    `: keep-alive` comment whenever `heartbeat` seconds pass without one."""
    yield ServerSentEventMessage(data=None, comment="connected", retry=RETRY_MS)
    async for event in sub.events(heartbeat):
        if event is None:
            yield ServerSentEventMessage(data=None, comment="keep-alive")
        else:
            yield ServerSentEventMessage(data=event.data, event=event.type, id=event.id)


@get(
    STREAM_PATH,
    summary="Live public events as Server-Sent Events (resumable with Last-Event-ID or after)",
    description="Each message has `id` (the event id), `event` (its type, as in webhooks) and `data` (the "
    "webhook envelope as compact JSON). Without a cursor the stream starts after the newest stored event. "
    "With `Last-Event-ID` (sent by EventSource on reconnect; it wins over `after`) or `after`, the events "
    "after that id are sent first, in id order, at most 1000 per connection (the stream then ends and the "
    "client resumes from its last id). A `: keep-alive` comment comes every few seconds. 503 with "
    "Retry-After when this server streams to its maximum number of clients.",
    tags=["events"],
    opt={NO_COMPRESSION: True},
    responses={
        **error_responses(400),
        503: ResponseSpec(
            data_container=ErrorBody,
            description="Too many streams on this server (code too_many_streams); see Retry-After",
            generate_examples=False,
        ),
    },
    media_type="text/event-stream",
)
async def events_stream(
    stream: Stream,
    last_event_id: Annotated[
        str | None, HeaderParameter(name="Last-Event-ID", description="resume after this event id", max_length=64)
    ] = None,
    after: Annotated[str | None, QueryParameter(description="resume after this event id", max_length=64)] = None,
) -> ServerSentEvent:
    header, query = parse_cursor(last_event_id, "Last-Event-ID"), parse_cursor(after, "after")
    sub = await stream.subscribe(header if header is not None else query)
    return ServerSentEvent(messages(sub, stream.heartbeat_seconds), headers={"Cache-Control": "no-store"})
