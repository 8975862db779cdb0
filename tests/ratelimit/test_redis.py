"""Shared buckets in Redis: two web roles spend one budget; an outage degrades to in-process limits
with one warning, never an error or a hang, and the limits are shared again once Redis is back."""

from __future__ import annotations

import logging
import socket

import pytest
from redis.asyncio import Redis

from portal.ratelimit import shared as shared_module
from portal.ratelimit.buckets import LocalBuckets, Policy
from portal.ratelimit.limiter import Limiter
from portal.ratelimit.shared import SharedBuckets
from reserves.settings.ratelimit import Budget
from tests.ratelimit.conftest import limited_server
from tests.support import free_port

THREE = Policy("three", 3, 60)
HISTORY = "/api/v1/history"


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == shared_module.__name__ and r.levelno >= logging.WARNING]


async def spend(limiter: Limiter, n: int, key: str = "a") -> list[bool]:
    return [(await limiter.check(((THREE, key),))).allowed for _ in range(n)]


def shared_limiter(url: str, prefix: str, timeout: float = 0.1) -> Limiter:
    local = LocalBuckets()
    return Limiter({}, local, SharedBuckets(url, prefix, timeout, local))


async def test_nothing_listening_means_in_process_limits_and_one_warning(caplog, prefix):
    limiter = shared_limiter(f"redis://127.0.0.1:{free_port()}/0", prefix)
    try:
        with caplog.at_level(logging.WARNING):
            assert await spend(limiter, 50) == [True, True, True] + [False] * 47  # still limited, in process
        assert limiter.shared is not None and limiter.shared.down
        assert len(warnings(caplog)) == 1 and "cannot be reached" in warnings(caplog)[0]
    finally:
        await limiter.close()


async def test_a_redis_that_never_answers_times_out_into_in_process_limits(caplog, prefix):
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        limiter = shared_limiter(f"redis://127.0.0.1:{silent.getsockname()[1]}/0", prefix, timeout=0.05)
        try:
            with caplog.at_level(logging.WARNING):
                assert await spend(limiter, 5) == [True, True, True, False, False]
            assert len(warnings(caplog)) == 1
        finally:
            await limiter.close()


async def test_an_outage_and_the_recovery(own_redis, prefix, caplog, monkeypatch):
    monkeypatch.setattr(shared_module, "RETRY_SECONDS", 0.0)  # try Redis again at the next request
    limiter = shared_limiter(own_redis.url, prefix)
    probe = Redis.from_url(own_redis.url)
    try:
        with caplog.at_level(logging.INFO):
            assert await spend(limiter, 2) == [True, True]
            assert await probe.exists(f"{prefix}three:a") == 1  # counted in Redis
            own_redis.stop()
            # In process from here: its own, fresh buckets (three more), a warning once, no error.
            assert await spend(limiter, 6) == [True, True, True, False, False, False]
            assert len(warnings(caplog)) == 1
            own_redis.start()  # an empty Redis on the same port
            assert await spend(limiter, 1) == [True]
            assert limiter.shared is not None and not limiter.shared.down
            assert await probe.exists(f"{prefix}three:a") == 1
            assert len(warnings(caplog)) == 2 and "answers again" in warnings(caplog)[1]
            own_redis.stop()  # Redis coming and going: no new warning within a minute, still no error
            assert await spend(limiter, 1, key="b") == [True]
            own_redis.start()
            assert await spend(limiter, 1) == [True] and not limiter.shared.down
        assert len(warnings(caplog)) == 2
    finally:
        await probe.aclose()
        await limiter.close()


@pytest.mark.parametrize("path", [HISTORY])
async def test_two_web_roles_spend_one_shared_budget(tmp_path, redis_url, prefix, path):
    limits = {"redis_url": redis_url, "key_prefix": prefix, "expensive": Budget(4, 60)}
    with (
        limited_server(tmp_path / "a", **limits) as one,
        limited_server(tmp_path / "b", **limits) as two,
    ):
        async with one.client() as a, two.client() as b:
            seen = [(await c.get(path)).status_code for c in (a, b, a, b)]
            assert seen == [200, 200, 200, 200]
            for c in (a, b):
                over = await c.get(path)
                assert over.status_code == 429, over.text
                assert over.headers["ratelimit"] == '"expensive";r=0;t=15' and over.headers["retry-after"] == "15"


async def test_without_redis_each_web_role_counts_for_itself(tmp_path):
    with (
        limited_server(tmp_path / "a", expensive=Budget(2, 60)) as one,
        limited_server(tmp_path / "b", expensive=Budget(2, 60)) as two,
    ):
        async with one.client() as a, two.client() as b:
            assert [(await a.get(HISTORY)).status_code for _ in range(3)] == [200, 200, 429]
            assert [(await b.get(HISTORY)).status_code for _ in range(3)] == [200, 200, 429]
