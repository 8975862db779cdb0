"""GET /api/v1/events/stream: the public events, live, as Server-Sent Events (from the database only)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from litestar import Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from portal.api.attestations import ErrorBody, error_responses
from portal.api.compressed import NO_COMPRESSION  # a stream is flushed event by event, never gzip-buffered
from portal.clients import request_client_key
from portal.deps import Stream, services_of
from reserves.read.event_feed import parse_cursor
from reserves.read.stream import Subscription

log = logging.getLogger(__name__)

RETRY_MS = 3000  # how long a client waits before it reconnects
STREAM_PATH = "/api/v1/events/stream"
GUARD = "event_stream_guard"  # the key of a stream's StreamGuard in the request's scope state


@dataclass(frozen=True)
class StreamGuard:
    """What `bounded_writes` needs of a stream: its subscription and how long one write may wait."""

    sub: Subscription
    send_timeout: float


def bounded_writes(app: ASGIApp) -> ASGIApp:
    """Each write of a stream waits at most its `send_timeout`: uvicorn's send waits, without end, while
    a peer that stopped reading keeps the socket's buffers full. Past it the stream is dropped (its
    slot freed at once, its generator ended), the rest of the response discarded and the request
    told its client is gone; uvicorn then closes the connection ("ASGI callable returned without
    completing response")."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        stalled = asyncio.Event()

        async def send_within(message: Message) -> None:
            guard: StreamGuard | None = scope.get("state", {}).get(GUARD)
            if stalled.is_set():
                return
            if guard is None:  # an error answer, not a stream
                await send(message)
                return
            try:
                await asyncio.wait_for(send(message), guard.send_timeout)
            except TimeoutError:
                stalled.set()
                log.info("event stream: a client stopped reading for %.0f s and was dropped", guard.send_timeout)
                guard.sub.hub.drop(guard.sub)

        async def receive_within() -> ReceiveMessage:
            # Litestar ends a stream's response when it receives http.disconnect: say so once stalled.
            if not stalled.is_set():
                received, gone = asyncio.ensure_future(receive()), asyncio.ensure_future(stalled.wait())
                await asyncio.wait({received, gone}, return_when=asyncio.FIRST_COMPLETED)
                gone.cancel()
                if received.done():
                    return received.result()
                received.cancel()
            return {"type": "http.disconnect"}

        await app(scope, receive_within, send_within)

    return middleware


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
    "client resumes from its last id). A `: keep-alive` comment comes every few seconds. The server ends "
    "each stream after a while (30 minutes by default); EventSource reconnects with Last-Event-ID and "
    "loses nothing. 429 with Retry-After when this client (its address; an IPv6 /64) has its maximum "
    "number of streams open (4 by default); 503 with Retry-After when this server streams to its maximum "
    "number of clients.",
    tags=["events"],
    opt={NO_COMPRESSION: True},
    middleware=[bounded_writes],
    responses={
        **error_responses(400),
        429: ResponseSpec(
            data_container=ErrorBody,
            description="Too many streams from this client (code too_many_client_streams); see Retry-After",
            generate_examples=False,
        ),
        503: ResponseSpec(
            data_container=ErrorBody,
            description="Too many streams on this server (code too_many_streams); see Retry-After",
            generate_examples=False,
        ),
    },
    media_type="text/event-stream",
)
async def events_stream(
    request: Request,
    stream: Stream,
    last_event_id: Annotated[
        str | None, HeaderParameter(name="Last-Event-ID", description="resume after this event id", max_length=64)
    ] = None,
    after: Annotated[str | None, QueryParameter(description="resume after this event id", max_length=64)] = None,
) -> ServerSentEvent:
    header, query = parse_cursor(last_event_id, "Last-Event-ID"), parse_cursor(after, "after")
    # The key the rate limiter resolved (behind [ratelimit] trusted_proxies, the forwarded client's).
    client = request_client_key(request.scope)
    sub = await stream.subscribe(header if header is not None else query, client)
    timeout = services_of(request.app).settings.portal.stream_send_timeout_seconds
    request.scope.setdefault("state", {})[GUARD] = StreamGuard(sub, timeout)
    return ServerSentEvent(messages(sub, stream.heartbeat_seconds), headers={"Cache-Control": "no-store"})
