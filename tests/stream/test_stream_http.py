"""GET /api/v1/events/stream over real HTTP (uvicorn, httpx streaming): order, resume, privacy,
heartbeats, hostile cursors, the client cap and one poller for many clients."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import time
from datetime import datetime, timezone

import pytest

from reserves.read.stream import RESUME_LIMIT
from reserves.settings.ratelimit import RateLimitSettings
from reserves.storage import events as events_repo
from reserves.storage.db import open_database
from reserves.webhooks.catalogue import body_bytes, envelope_of
from tests.stream.conftest import live_server, next_event, sse, wait_until, write

PATH = "/api/v1/events/stream"


def expected(row) -> tuple[str, str, str]:
    env = envelope_of(row)
    return str(row.id), env["type"], body_bytes(env).decode()


def seen(message) -> tuple[str, str, str]:
    return message["id"], message["event"], message["data"]


async def events(messages, n: int) -> list[tuple[str, str, str]]:
    return [seen(await next_event(messages)) for _ in range(n)]


async def connected(messages) -> dict:
    """The first message: reconnection advice, sent once the stream listens."""
    first = await anext(messages)
    assert first["retry"] == "3000" and first["comments"] == ["connected"] and first["data"] is None
    return first


async def test_events_written_after_connecting_arrive_in_order_without_private_ones(live, db):
    await write(db, "status_changed")  # before the client: never sent
    async with live.client() as client, client.stream("GET", PATH) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in r.headers  # flushed event by event, never gzip-buffered
        messages = sse(r)
        await connected(messages)
        rows = await write(db, "attestation_published", "webhook_disabled", "source_stale", "monitor_issue")
        public = [row for row in rows if row.kind != "webhook_disabled"]
        got = [seen(await next_event(messages)) for _ in public]
    assert got == [expected(row) for row in public]
    assert [g[1] for g in got] == ["attestation.published", "source.stale", "monitor.bad_logs"]
    assert [int(g[0]) for g in got] == sorted(int(g[0]) for g in got)
    assert json.loads(got[0][2])["data"]["note"] == "line\nbreak é"  # one data line, UTF-8


@pytest.mark.parametrize("how", ["header", "query", "both"])
async def test_resume_sends_what_was_missed_then_live_events_each_once(live, db, how):
    rows = await write(db, "status_changed", "webhook_disabled", "source_stale", "source_recovered")
    cursor = str(rows[0].id)
    headers = {"Last-Event-ID": cursor} if how != "query" else {}
    # Both: the header (what EventSource sends on reconnect) wins over the URL's original `after`.
    params = {"after": "0" if how == "both" else cursor} if how != "header" else {}
    async with live.client() as client, client.stream("GET", PATH, headers=headers, params=params) as r:
        messages = sse(r)
        await connected(messages)
        missed = [seen(await next_event(messages)) for _ in range(2)]
        live_rows = await write(db, "reserve_set_changed", "key_rotated")
        after = [seen(await next_event(messages)) for _ in range(2)]
    assert missed == [expected(rows[2]), expected(rows[3])]
    assert after == [expected(row) for row in live_rows]


async def test_a_cursor_ahead_of_the_server_gets_no_duplicates(live, db):
    rows = await write(db, "status_changed", "source_stale")
    async with live.client() as client:
        async with client.stream("GET", PATH, params={"after": str(rows[1].id + 1)}) as r:
            messages = sse(r)
            await connected(messages)
            more = await write(db, "source_recovered", "key_rotated")  # ids rows[1].id + 1 and + 2
            assert seen(await next_event(messages)) == expected(more[1])


async def test_a_long_absence_is_replayed_in_batches_each_on_its_own_connection(live, db):
    start = (await write(db, "status_changed"))[0].id
    rows = await write(db, *["source_stale"] * (RESUME_LIMIT + 5))
    async with live.client() as client:
        async with client.stream("GET", PATH, params={"after": str(start)}) as r:
            first = [m async for m in sse(r) if m["data"] is not None]  # the server ends this one
        assert [m["id"] for m in first] == [str(row.id) for row in rows[:RESUME_LIMIT]]
        async with client.stream("GET", PATH, headers={"Last-Event-ID": first[-1]["id"]}) as r:
            messages = sse(r)
            await connected(messages)
            rest = [seen(await next_event(messages)) for _ in range(5)]
    assert rest == [expected(row) for row in rows[RESUME_LIMIT:]]


async def test_heartbeat_comments_keep_an_idle_stream_open(live):
    started = time.monotonic()
    async with live.client() as client, client.stream("GET", PATH) as r:
        messages = sse(r)
        await connected(messages)
        beats = [await anext(messages) for _ in range(2)]
    assert all(b["comments"] == ["keep-alive"] and b["data"] is None and b["id"] is None for b in beats)
    assert time.monotonic() - started < 5  # every 0.3 s here (stream_heartbeat_seconds)


HOSTILE = [
    "abc",
    "-1",
    "+1",
    "1 2",
    "1.5",
    "0x10",
    "1e3",
    str(2**53),
    "9" * 17,
    "9" * 60,
    "1" * 5000,
]


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: v[:20])
async def test_hostile_cursors_are_a_400_with_a_code(live, value):
    async with live.client() as client:
        for kwargs in ({"headers": {"Last-Event-ID": value}}, {"params": {"after": value}}):
            r = await client.get(PATH, **kwargs)
            assert r.status_code == 400, (kwargs, r.text)
            assert r.json()["error"]["code"] == "invalid_input"


async def test_a_non_ascii_last_event_id_is_a_400(live):
    async with live.client() as client:
        r = await client.get(PATH, headers=[(b"Last-Event-ID", "١٢".encode())])
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"


async def test_the_largest_cursor_is_accepted(live):
    async with live.client() as client, client.stream("GET", PATH, params={"after": str(2**53 - 1)}) as r:
        assert r.status_code == 200
        messages = sse(r)
        await connected(messages)


async def test_the_client_cap_answers_503_with_retry_after(tmp_path):
    with live_server(tmp_path, stream_max_clients=2) as server:
        async with server.client() as client:
            async with client.stream("GET", PATH) as a, client.stream("GET", PATH) as b:
                readers = [sse(a), sse(b)]  # held: a reader dropped half-way closes its connection
                for messages in readers:
                    await connected(messages)
                full = await client.get(PATH)
                assert full.status_code == 503 and full.headers["retry-after"] == "5"
                assert full.json()["error"]["code"] == "too_many_streams"
            deadline = time.monotonic() + 5
            while server.hub.listeners and time.monotonic() < deadline:  # the slots free on disconnect
                await asyncio.sleep(0.05)
            async with client.stream("GET", PATH) as c:
                assert c.status_code == 200


async def test_fifty_clients_share_one_poller(live, db):
    clients = 50
    async with live.client() as client:
        streams = [client.stream("GET", PATH) for _ in range(clients)]
        responses = [await s.__aenter__() for s in streams]
        try:
            readers = [sse(r) for r in responses]
            await asyncio.gather(*(connected(m) for m in readers))
            assert live.hub.listeners == clients
            polls, started = live.hub.polls, time.monotonic()
            rows = await write(db, "status_changed", "source_stale")
            got = await asyncio.gather(*(events(m, 2) for m in readers))
            await asyncio.sleep(1.0)
            polls, elapsed = live.hub.polls - polls, time.monotonic() - started
        finally:
            for s in streams:
                await s.__aexit__(None, None, None)
    assert all(g == [expected(row) for row in rows] for g in got)
    # One read of the outbox every 0.1 s for the whole process, not one per client.
    assert 1 <= polls <= elapsed / 0.1 + 3, (polls, elapsed)


async def test_the_per_client_cap_answers_429_and_frees_on_disconnect(tmp_path):
    with live_server(tmp_path, stream_max_per_client=2) as server:
        async with server.client() as client:
            async with client.stream("GET", PATH) as a, client.stream("GET", PATH) as b:
                readers = [sse(a), sse(b)]
                for messages in readers:
                    await connected(messages)
                over = await client.get(PATH)
                assert over.status_code == 429 and over.headers["retry-after"] == "30"
                assert over.json()["error"]["code"] == "too_many_client_streams"
            await wait_until(lambda: server.hub.listeners == 0)
            async with client.stream("GET", PATH) as c:
                assert c.status_code == 200


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_cap(tmp_path):
    # [ratelimit] trusted_proxies names the proxy (here the test itself, on the loopback).
    proxies = RateLimitSettings(trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),))
    with live_server(tmp_path, None, {"ratelimit": proxies}, stream_max_per_client=1) as server:
        async with server.client() as client:
            one = {"X-Forwarded-For": "2001:db8:7::1"}
            async with client.stream("GET", PATH, headers=one) as a:
                reader = sse(a)  # held: a reader dropped half-way closes its connection
                await connected(reader)
                same_64 = await client.get(PATH, headers={"X-Forwarded-For": "2001:db8:7::2"})
                assert same_64.status_code == 429
                async with client.stream("GET", PATH, headers={"X-Forwarded-For": "198.51.100.7"}) as b:
                    assert b.status_code == 200


async def test_a_stream_ends_after_its_lifetime_and_the_client_resumes_without_loss(tmp_path):
    with live_server(tmp_path, stream_max_seconds=1.0) as server:
        db = open_database(server.url)
        try:
            async with server.client() as client:
                started = time.monotonic()
                async with client.stream("GET", PATH) as r:
                    messages = sse(r)
                    await connected(messages)
                    rows = await write(db, "status_changed")
                    got = await next_event(messages)
                    rest = [m async for m in messages]  # the server ends it: the loop finishes
                assert got["id"] == str(rows[0].id) and all(m["data"] is None for m in rest)
                assert time.monotonic() - started < 10
                missed = await write(db, "source_stale", "source_recovered")  # while it reconnects
                async with client.stream("GET", PATH, headers={"Last-Event-ID": got["id"]}) as r:
                    messages = sse(r)
                    await connected(messages)
                    assert await events(messages, 2) == [expected(row) for row in missed]
        finally:
            await db.dispose()


async def write_large(db, count: int, size: int) -> None:
    async with db.sessions() as session, session.begin():
        for _ in range(count):
            await events_repo.add(
                session, kind="status_changed", at=datetime.now(timezone.utc), payload={"blob": "x" * size}
            )


def connect_and_never_read(port: int) -> socket.socket:
    """A raw TCP client with a small receive buffer that sends a stream request and reads nothing."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
    return sock


def read_to_end(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


async def test_a_client_that_stops_reading_loses_its_slot_and_its_stream(tmp_path):
    # 150 events of 60 kB: far more than the socket buffers hold, far fewer than the queue (256), so
    # only the bounded write can end this stream (a lifetime of an hour would not, in this test).
    with live_server(tmp_path, stream_send_timeout_seconds=1.0, stream_max_seconds=3600) as server:
        db = open_database(server.url)
        sock = connect_and_never_read(int(server.base.rsplit(":", 1)[1]))
        try:
            await wait_until(lambda: server.hub.listeners == 1)
            await write_large(db, 150, 60_000)
            await wait_until(lambda: server.hub.listeners == 0, timeout=60)
            # Reading now drains what was buffered, then the server's end: the response is over.
            received = await asyncio.to_thread(read_to_end, sock, 30)
            assert received.startswith(b"HTTP/1.1 200") and b"event: status.changed" in received
            async with server.client() as client, client.stream("GET", PATH) as r:
                assert r.status_code == 200  # the slot is free again
        finally:
            sock.close()
            await db.dispose()
