"""A real web role for the event-stream tests: `create_app` under uvicorn on a free port, over a
temporary SQLite database that the test writes outbox events into, as the worker would."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from portal.app import create_app
from reserves.settings.load import default_settings
from reserves.settings.model import Settings
from reserves.storage import events as events_repo
from reserves.storage.db import Database, open_database
from reserves.storage.engine_models import EngineEventRow
from tests.support import serving

FAST = {"stream_heartbeat_seconds": 0.3, "stream_poll_seconds": 0.1}


def bare_settings(data_dir: Path, **portal: Any) -> Settings:
    """The embedded default without the devnet (no chain at all), with `portal` stream settings."""
    s = default_settings(data_dir)
    return replace(s, devnet=replace(s.devnet, enabled=False), portal=replace(s.portal, **portal))


@dataclass
class LiveServer:
    """A web role served by uvicorn in a thread, and its database URL (the test writes events there)."""

    base: str
    app: Litestar
    url: str

    @property
    def hub(self):
        return self.app.state.services.stream

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, timeout=10, **kwargs)


@contextmanager
def live_server(
    data_dir: Path,
    uvicorn_options: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    **portal: Any,
) -> Iterator[LiveServer]:
    """`create_app` of `bare_settings` with `portal` changes (and other tables' `changes`) under uvicorn."""
    settings = replace(bare_settings(data_dir, **{**FAST, **portal}), **(changes or {}))
    app = create_app(settings)
    # Streams end after their lifetime only: give open ones a second, then cancel them (as `reserves serve` does).
    # As `reserves serve` runs it: uvicorn's own X-Forwarded-For handling off (the app resolves clients).
    with serving(app, "stream-test-server", **{"proxy_headers": False, **(uvicorn_options or {})}) as port:
        yield LiveServer(f"http://127.0.0.1:{port}", app, settings.database.url)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveServer]:
    # Every test client is 127.0.0.1: the per-client cap has its own test.
    with live_server(tmp_path_factory.mktemp("stream"), stream_max_per_client=1000) as server:
        yield server


@pytest.fixture
async def db(live: LiveServer) -> AsyncIterator[Database]:
    """The test's own connection to the server's database (the worker's side of the outbox)."""
    database = open_database(live.url)
    try:
        yield database
    finally:
        await database.dispose()


async def write(db: Database, *kinds: str, **fields: Any) -> list[EngineEventRow]:
    """Write one outbox event per kind in one transaction (as the engine does); the stored rows."""
    async with db.sessions() as session, session.begin():
        before = await events_repo.newest_id(session)
        for i, kind in enumerate(kinds):
            payload = {"kind": "bad_logs"} if kind == "monitor_issue" else {"n": i, "note": "line\nbreak é"}
            await events_repo.add(session, kind=kind, at=datetime.now(timezone.utc), payload=payload, **fields)
    async with db.sessions() as session:
        return await events_repo.after(session, after_id=before, limit=len(kinds))


async def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait for `condition`, checked every 20 ms, at most `timeout` seconds (generous: machines are loaded)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        await asyncio.sleep(0.02)


async def sse(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """The messages of an SSE response: {"id", "event", "data", "retry", "comments"} (absent fields None)."""
    message: dict[str, Any] = {"id": None, "event": None, "data": None, "retry": None, "comments": []}
    async for line in response.aiter_lines():
        if line == "":
            yield message
            message = {"id": None, "event": None, "data": None, "retry": None, "comments": []}
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "":
            message["comments"].append(value)
        elif field == "data":
            message["data"] = value if message["data"] is None else message["data"] + "\n" + value
        else:
            message[field] = value


async def next_event(messages: AsyncIterator[dict[str, Any]]) -> dict[str, Any]:
    """The next message that carries an event (comments and retry advice skipped)."""
    async for m in messages:
        if m["event"] is not None or m["data"] is not None:
            return m
    raise AssertionError("the stream ended")
