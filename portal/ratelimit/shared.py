"""Buckets in Redis, shared by every web worker and replica, with this process's buckets as the fallback.

A Lua script (atomic) computes the GCRA of portal.ratelimit.buckets on Redis's own clock (TIME), so
replicas on hosts with skewed clocks agree. One call carries every check that queued while the
previous call was on its way: under load one round trip serves dozens of requests, and the cost per
request is mostly that of a future. Keys expire when their bucket is full again, so Redis holds only
clients that are being limited.

An outage (refused connection, timeout after `timeout` seconds, any Redis error) never fails a
request: the check is made in this process instead, one warning is logged when Redis goes away and
one line when it is back. While it is away, at most one request every `RETRY_SECONDS` tries it again
(the others do not wait for a timeout).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from portal.ratelimit.buckets import EPSILON, Decision, LocalBuckets, Policy

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
WARN_EVERY_SECONDS = 60.0
MAX_CONNECTIONS = 8  # per web process: one batch is on its way at a time
MAX_BATCH = 256  # checks per script call

# A batch of checks in one call. ARGV[1]: how many; then per check: its number of keys n, "1" to
# spend or "0" to look only, and for each of its n keys (taken in order from KEYS, the client's own
# first) its interval, window and reserve in microseconds (integers below 2^53: TATs keep their
# precision even at a million requests a second). Checks run in order, so two of one client in a
# batch see each other. Returns five integers per check: allowed, remaining, reset us, retry us, and
# the index (from 1) of the key that refused, 0 if none.
GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local out = {}
local k, a = 1, 2
for c = 1, tonumber(ARGV[1]) do
  local n, spend = tonumber(ARGV[a]), ARGV[a + 1] == '1'
  a = a + 2
  local first = tonumber(redis.call('GET', KEYS[k]) or '0')
  local light = first <= now
  local new = {}
  local retry, refused = 0, 0
  for i = 1, n do
    local stored = first
    if i > 1 then stored = tonumber(redis.call('GET', KEYS[k + i - 1]) or '0') end
    local p = a + 3 * (i - 1)
    local interval, window = tonumber(ARGV[p]), tonumber(ARGV[p + 1])
    local allowance = window
    if i > 1 and not light then allowance = window - tonumber(ARGV[p + 2]) end
    local after = math.max(stored, now) + interval
    if after - now > allowance + 1 and after - now - allowance > retry then
      retry, refused = after - now - allowance, i
    end
    new[i] = after
  end
  if refused > 0 then
    table.insert(out, 0) table.insert(out, 0) table.insert(out, math.ceil(retry))
    table.insert(out, math.ceil(retry)) table.insert(out, refused)
  else
    if spend then
      for i = 1, n do
        redis.call('SET', KEYS[k + i - 1], math.ceil(new[i]), 'PX', math.ceil((new[i] - now) / 1000) + 1000)
      end
    end
    local interval, window = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
    table.insert(out, 1) table.insert(out, math.floor((window - (new[1] - now)) / interval + 0.000001))
    table.insert(out, math.ceil(new[1] - now)) table.insert(out, 0) table.insert(out, 0)
  end
  k, a = k + n, a + 3 * n
end
return out
"""

Check = tuple[Sequence[tuple[Policy, str]], bool, "asyncio.Future[Decision]"]


class SharedBuckets:
    """Checks against Redis at `url`, falling back to `local` while it cannot answer."""

    def __init__(
        self,
        url: str,
        prefix: str,
        timeout: float,
        local: LocalBuckets,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # one attempt: the fallback is the retry
            max_connections=MAX_CONNECTIONS,
            health_check_interval=0,
        )
        self.where = _where(self.redis)
        self.script = self.redis.register_script(GCRA)
        self.prefix = prefix
        self.timeout = timeout
        self.local = local
        self.clock = clock
        self.down = False
        self._next_try = 0.0
        self._warned_until = 0.0
        self._level = logging.WARNING  # of the last outage's line: its end is said as loudly
        self._trying = False
        self._queue: list[Check] = []
        self._sender: asyncio.Task[None] | None = None

    async def check(self, buckets: Sequence[tuple[Policy, str]], spend: bool = True) -> Decision:
        """One request from each (policy, key) bucket, in Redis when it answers, else in process.

        Checks wait in a queue while a batch is on its way: each round trip carries every check that
        arrived meanwhile (one script call for dozens of requests under load, not one each)."""
        if self.down and (self._trying or self.clock() < self._next_try):
            return self.local.check(buckets, spend)
        self._trying = self.down  # while down, this request is the one that tries
        answer: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self._queue.append((buckets, spend, answer))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send())
        return await answer

    async def _send(self) -> None:
        try:
            while self._queue:
                await asyncio.sleep(0)  # let the requests that are ready now join this batch
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                await self._send_batch(batch)
        finally:
            self._sender = None
            self._trying = False

    async def _send_batch(self, batch: list[Check]) -> None:
        keys: list[str] = []
        args: list[str | int] = [len(batch)]
        for buckets, spend, _ in batch:
            keys += [f"{self.prefix}{p.name}:{k}" for p, k in buckets]
            args += _args(buckets, spend)
        try:
            async with asyncio.timeout(self.timeout * 2):  # a socket timeout per read; this bounds them all
                answer = await self.script(keys=keys, args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
            for buckets, spend, future in batch + self._queue:  # down: the queue is checked here too
                if not future.done():
                    future.set_result(self.local.check(buckets, spend))
            self._queue = []
            return
        if self.down:
            self.down = False
            log.log(self._level, "rate limits: Redis at %s answers again; limits are shared again", self.where)
        for i, (buckets, _, future) in enumerate(batch):
            if not future.done():  # its request may have been cancelled meanwhile
                future.set_result(_decision(buckets, answer[5 * i : 5 * i + 5]))

    def _failed(self, exc: BaseException) -> None:
        now = self.clock()
        self._next_try = now + RETRY_SECONDS
        if not self.down:
            self.down = True
            # One warning per outage, and at most one a minute while Redis keeps coming and going.
            self._level = logging.WARNING if now >= self._warned_until else logging.DEBUG
            self._warned_until = now + WARN_EVERY_SECONDS
            log.log(
                self._level,
                "rate limits: Redis at %s cannot be reached (%s); each web process limits on its own until it is back",
                self.where,
                type(exc).__name__,
            )

    async def close(self) -> None:
        await self.redis.aclose()


def _args(buckets: Sequence[tuple[Policy, str]], spend: bool) -> list[str | int]:
    args: list[str | int] = [len(buckets), "1" if spend else "0"]
    for p, _ in buckets:
        args += [round(p.interval * 1e6), p.window * 1_000_000, round(p.reserve * p.interval * 1e6)]
    return args


def _decision(buckets: Sequence[tuple[Policy, str]], answer: list[int]) -> Decision:
    allowed, remaining, reset_us, retry_us, refused = (int(v) for v in answer)
    first = buckets[0][0]
    if not allowed:
        wait = max(1, math.ceil(retry_us / 1e6 - EPSILON))
        other = buckets[refused - 1][0].name if refused > 1 else ""
        return Decision(first, False, 0, wait, wait, other)
    return Decision(first, True, max(0, remaining), max(0, math.ceil(reset_us / 1e6 - EPSILON)))


def _where(redis: Redis) -> str:
    """host:port (or the socket path) of the Redis URL, never its password."""
    kw = redis.connection_pool.connection_kwargs
    return str(kw.get("path") or f"{kw.get('host', '?')}:{kw.get('port', '?')}")
