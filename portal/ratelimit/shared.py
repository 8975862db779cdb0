"""Buckets in Redis, shared by every web worker and replica, with this process's buckets as the fallback.

One Lua script per check (atomic, one round trip) computes the GCRA of portal.ratelimit.buckets on
Redis's own clock (TIME), so replicas on hosts with skewed clocks agree. Keys expire when their
bucket is full again, so Redis holds only clients that are being limited.

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
MAX_CONNECTIONS = 64  # per web process; a request finding none free is checked in process

# KEYS: the buckets, the client's own first. ARGV[1]: "1" to spend, "0" to look only; then for each
# key its interval, window and reserve in microseconds (integers to 2^53: TATs keep their precision
# even at a million requests a second). Returns {allowed, remaining, reset us, retry us, index of the
# refusing key (0: none)}.
GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local first = tonumber(redis.call('GET', KEYS[1]) or '0')
local light = first <= now
local new = {}
local retry, refused = 0, 0
for i = 1, #KEYS do
  local stored = first
  if i > 1 then stored = tonumber(redis.call('GET', KEYS[i]) or '0') end
  local interval, window = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
  local allowance = window
  if i > 1 and not light then allowance = window - tonumber(ARGV[3 * i + 1]) end
  local after = math.max(stored, now) + interval
  if after - now > allowance + 1 and after - now - allowance > retry then
    retry, refused = after - now - allowance, i
  end
  new[i] = after
end
if refused > 0 then
  return {0, 0, math.ceil(retry), math.ceil(retry), refused}
end
if ARGV[1] == '1' then
  for i = 1, #KEYS do
    redis.call('SET', KEYS[i], math.ceil(new[i]), 'PX', math.ceil((new[i] - now) / 1000) + 1000)
  end
end
local interval, window = tonumber(ARGV[2]), tonumber(ARGV[3])
return {1, math.floor((window - (new[1] - now)) / interval + 0.000001), math.ceil(new[1] - now), 0, 0}
"""


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
        self._trying = False

    async def check(self, buckets: Sequence[tuple[Policy, str]], spend: bool = True) -> Decision:
        """One request from each (policy, key) bucket, in Redis when it answers, else in process."""
        if self.down and (self._trying or self.clock() < self._next_try):
            return self.local.check(buckets, spend)
        self._trying = self.down  # while down, this request is the one that tries
        try:
            async with asyncio.timeout(self.timeout * 2):  # a socket timeout per read; this bounds them all
                answer = await self.script(keys=[self._key(p, k) for p, k in buckets], args=_args(buckets, spend))
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
            return self.local.check(buckets, spend)
        finally:
            self._trying = False
        if self.down:
            self.down = False
            log.warning("rate limits: Redis at %s answers again; limits are shared again", self.where)
        return _decision(buckets, answer)

    def _key(self, policy: Policy, key: str) -> str:
        return f"{self.prefix}{policy.name}:{key}"

    def _failed(self, exc: BaseException) -> None:
        self._next_try = self.clock() + RETRY_SECONDS
        if not self.down:
            self.down = True
            log.warning(
                "rate limits: Redis at %s cannot be reached (%s); each web process limits on its own until it is back",
                self.where,
                type(exc).__name__,
            )

    async def close(self) -> None:
        await self.redis.aclose()


def _args(buckets: Sequence[tuple[Policy, str]], spend: bool) -> list[str | int | float]:
    args: list[str | int | float] = ["1" if spend else "0"]
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
