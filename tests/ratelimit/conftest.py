"""Helpers of the rate-limit tests: the real Redis on 127.0.0.1:6379 (a fresh key prefix per test), a
Redis server of the test's own (started and killed by the test), and a web role with chosen budgets."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from reserves.settings.ratelimit import RateLimitSettings
from tests.stream.conftest import LiveServer, live_server
from tests.support import free_port, require

REDIS = "redis://127.0.0.1:6379/0"


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def redis_url() -> str:
    require(listening(6379), "a Redis server on 127.0.0.1:6379")
    return REDIS


@pytest.fixture
def prefix() -> str:
    """A key prefix no other test (or run) uses: tests share the one Redis."""
    return f"test:ratelimit:{uuid.uuid4().hex}:"


class OwnRedis:
    """A redis-server of the test's own on a free port, without persistence: `stop` kills it (an outage)."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.data_dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not listening(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("redis-server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def own_redis(tmp_path) -> Iterator[OwnRedis]:
    require(shutil.which("redis-server") is not None, "redis-server on PATH")
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def limited_server(data_dir: Path, changes: dict[str, Any] | None = None, **limits: Any) -> Iterator[LiveServer]:
    """The real web role (no devnet, an empty database) under uvicorn, with `[ratelimit]` `limits` (and
    other settings `changes`)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    ratelimit = replace(RateLimitSettings(), **limits)
    with live_server(data_dir, None, {**(changes or {}), "ratelimit": ratelimit}) as server:
        yield server
