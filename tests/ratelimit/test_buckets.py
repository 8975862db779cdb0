"""The GCRA buckets, one suite run against both backends: this process's dicts and the Redis script.

The figures do not depend on timing: budgets of a minute, checked within a fraction of a second.
"""

from __future__ import annotations

import asyncio

import pytest

from portal.ratelimit.buckets import LocalBuckets, Policy
from portal.ratelimit.limiter import ALL_CLIENTS, Limiter
from portal.ratelimit.shared import SharedBuckets

THREE = Policy("three", 3, 60)  # one request every 20 s, 3 at once
MINE = Policy("challenges", 2, 60)
EVERYONE = Policy("challenges_all", 4, 60, reserve=2)


class BucketSuite:
    @pytest.fixture
    async def buckets(self):
        raise NotImplementedError

    async def test_a_quiet_client_spends_its_budget_at_once_then_one_per_interval(self, buckets):
        got = [await buckets.check(((THREE, "a"),)) for _ in range(4)]
        assert [d.allowed for d in got] == [True, True, True, False]
        assert [d.remaining for d in got] == [2, 1, 0, 0]
        assert [d.reset for d in got[:3]] == [20, 40, 60]  # until the bucket is full again
        assert got[3].retry_after == 20 and got[3].reset == 20  # the next request in one interval

    async def test_concurrent_checks_of_one_client_see_each_other(self, buckets):
        got = await asyncio.gather(*(buckets.check(((THREE, "a"),)) for _ in range(8)))
        assert sorted(d.allowed for d in got) == [False] * 5 + [True] * 3
        assert sorted(d.remaining for d in got if d.allowed) == [0, 1, 2]

    async def test_each_key_and_each_policy_has_its_own_bucket(self, buckets):
        for _ in range(3):
            await buckets.check(((THREE, "a"),))
        assert not (await buckets.check(((THREE, "a"),))).allowed
        assert (await buckets.check(((THREE, "b"),))).allowed
        assert (await buckets.check(((Policy("other", 3, 60), "a"),))).allowed

    async def test_looking_spends_nothing(self, buckets):
        for _ in range(5):
            looked = await buckets.check(((THREE, "a"),), spend=False)
            assert looked.allowed and looked.remaining == 2
        assert [(await buckets.check(((THREE, "a"),))).allowed for _ in range(4)] == [True, True, True, False]

    async def test_busy_clients_cannot_take_the_reserve_kept_for_idle_ones(self, buckets):
        def both(key):
            return ((MINE, key), (EVERYONE, ALL_CLIENTS))

        assert (await buckets.check(both("busy-1"))).allowed  # idle until now: may use it all
        assert (await buckets.check(both("busy-1"))).allowed  # busy: may use all but the reserve
        assert (await buckets.check(both("busy-2"))).allowed
        refused = await buckets.check(both("busy-2"))  # its own budget has room; the shared one only the reserve
        assert not refused.allowed and refused.limited_by == "challenges_all" and refused.retry_after == 30
        assert (await buckets.check(both("newcomer"))).allowed  # the reserve serves a client that was idle
        last = await buckets.check(both("another"))
        assert not last.allowed and last.limited_by == "challenges_all"

    async def test_a_refused_check_spends_from_no_bucket(self, buckets):
        shared = Policy("shared", 1, 60)
        assert (await buckets.check(((THREE, "a"), (shared, "x")))).allowed
        for _ in range(3):  # refused by the shared bucket: the client's own stays where it was
            assert not (await buckets.check(((THREE, "a"), (shared, "x")))).allowed
        assert [(await buckets.check(((THREE, "a"),))).allowed for _ in range(3)] == [True, True, False]


class TestLocalBuckets(BucketSuite):
    @pytest.fixture
    async def buckets(self):
        return Limiter({}, LocalBuckets())


class TestRedisBuckets(BucketSuite):
    @pytest.fixture
    async def buckets(self, redis_url, prefix):
        local = LocalBuckets()
        shared = SharedBuckets(redis_url, prefix, 0.5, local)
        try:
            yield Limiter({}, local, shared)
        finally:
            assert not shared.down, "the suite ran in process, not in Redis"
            await shared.close()


def test_local_buckets_refill_on_schedule():
    now = [0.0]
    buckets = LocalBuckets(clock=lambda: now[0])
    for _ in range(3):
        assert buckets.check(((THREE, "a"),)).allowed
    assert not buckets.check(((THREE, "a"),)).allowed
    now[0] = 19.9
    assert not buckets.check(((THREE, "a"),)).allowed
    now[0] = 20.0
    assert buckets.check(((THREE, "a"),)).allowed
    now[0] = 1000.0  # idle for long: the whole budget, never more
    assert [buckets.check(((THREE, "a"),)).allowed for _ in range(4)] == [True, True, True, False]


def test_a_flood_of_distinct_clients_keeps_memory_bounded():
    buckets = LocalBuckets(max_clients=1000)
    for i in range(20_000):
        buckets.check(((THREE, f"2001:db8:{i:x}::/64"),))
        assert buckets.size("three") <= 1000
    # The newest clients are remembered: a client just limited stays limited.
    for _ in range(2):
        buckets.check(((THREE, "2001:db8:4e1f::/64"),))
    assert not buckets.check(((THREE, "2001:db8:4e1f::/64"),)).allowed


def test_the_fast_path_of_every_request_decides_as_the_general_check():
    now = [0.0]
    general, fast = LocalBuckets(clock=lambda: now[0]), LocalBuckets(clock=lambda: now[0])
    for step in range(200):
        now[0] += (step * 7.3) % 13 if step % 10 == 0 else 0.25  # bursts and pauses
        key = "ab"[step % 3 == 0]
        assert fast.take(THREE, key) == general.check(((THREE, key),)), step
