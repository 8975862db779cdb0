"""Token buckets as GCRA (one number per client: its "theoretical arrival time"), kept in this process.

A policy of `requests` per `window` seconds spaces requests `interval = window / requests` apart and
lets a client run `window` seconds ahead of that schedule: one that was quiet a whole window may
send `requests` at once, then one every `interval`. The stored TAT is when the client's bucket is
full again; a TAT in the past means a full bucket, so such entries can be forgotten at any time.

A check may name several buckets (a client's and one for all clients together): the request passes
when every one has room, and only then is each spent. `reserve` on a later bucket keeps that many
requests of it for "idle" clients, whose own (first) bucket is full: busy clients cannot take it all.
The Redis script (portal.ratelimit.shared) computes exactly this; tests run both on one suite.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

EPSILON = 1e-6  # seconds: float noise never refuses a request that is exactly on schedule


@dataclass(frozen=True)
class Policy:
    """A budget of `requests` per `window` seconds; `reserve` (see the module) only on a shared bucket."""

    name: str
    requests: int
    window: int
    reserve: int = 0
    interval: float = field(init=False)
    header: str = field(init=False)  # this policy's RateLimit-Policy item
    field_policy: bytes = field(init=False, repr=False)  # the same, encoded once
    field_prefix: bytes = field(init=False, repr=False)  # the start of its RateLimit item

    def __post_init__(self) -> None:
        object.__setattr__(self, "interval", self.window / self.requests)
        object.__setattr__(self, "header", f'"{self.name}";q={self.requests};w={self.window}')
        object.__setattr__(self, "field_policy", self.header.encode())
        object.__setattr__(self, "field_prefix", f'"{self.name}";r='.encode())


class Decision(NamedTuple):
    """A check's outcome for the client's policy: requests left (`remaining`), whole seconds until its
    bucket is full (`reset`), and when refused, whole seconds until one request passes (`retry_after`)."""

    policy: Policy
    allowed: bool
    remaining: int
    reset: int
    retry_after: int = 0
    limited_by: str = ""  # the policy that refused, when it is not the client's own


def evaluate(
    now: float, stored: Sequence[float | None], policies: Sequence[Policy], spend: bool
) -> tuple[Decision, list[float] | None]:
    """The decision for buckets whose TATs are `stored` (None: never seen), and the TATs to store
    when the request passes and `spend` is true (else None)."""
    light = stored[0] is None or stored[0] <= now
    new: list[float] = []
    retry, refused_by = 0.0, ""
    for i, (tat, p) in enumerate(zip(stored, policies, strict=True)):
        after = max(tat if tat is not None else now, now) + p.interval
        allowance = p.window - (p.reserve * p.interval if i and not light else 0.0)
        if after - now > allowance + EPSILON:
            late = after - now - allowance
            if late > retry:
                retry, refused_by = late, p.name
        new.append(after)
    first = policies[0]
    if refused_by:
        wait = max(1, math.ceil(retry - EPSILON))
        other = refused_by if refused_by != first.name else ""
        return Decision(first, False, 0, wait, wait, other), None
    remaining = max(0, math.floor((first.window - (new[0] - now)) / first.interval + EPSILON))
    return Decision(first, True, remaining, max(0, math.ceil(new[0] - now - EPSILON))), (new if spend else None)


class LocalBuckets:
    """Every policy's TATs in dicts of this process, bounded: past `max_clients` entries per policy the
    least recently updated go first (mostly full buckets anyway; a live one forgotten is refilled)."""

    def __init__(self, max_clients: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_clients = max_clients
        self.clock = clock
        self._tats: dict[str, dict[str, float]] = {}

    def take(self, p: Policy, key: str) -> Decision:
        """`check(((p, key),))`, written out: the one check every request makes, kept cheap."""
        now = self.clock()
        table = self._tats.get(p.name)
        if table is None:
            table = self._tats[p.name] = {}
        tat = table.pop(key, None)
        after = (tat if tat is not None and tat > now else now) + p.interval
        late = after - now - p.window
        if late > EPSILON:
            if tat is not None:  # a client never seen is never refused (interval <= window)
                table[key] = tat
            wait = max(1, math.ceil(late - EPSILON))
            return Decision(p, False, 0, wait, wait)
        table[key] = after  # last: the dict stays in update order
        if len(table) > self.max_clients:
            self._evict(table)
        return Decision(p, True, int((p.window - after + now) / p.interval + EPSILON), math.ceil(after - now - EPSILON))

    def check(self, buckets: Sequence[tuple[Policy, str]], spend: bool = True) -> Decision:
        """Check (and when it passes and `spend`, spend) one request from each (policy, key) bucket."""
        now = self.clock()
        tables = [self._tats.setdefault(p.name, {}) for p, _ in buckets]
        stored = [t.get(key) for t, (_, key) in zip(tables, buckets, strict=True)]
        decision, new = evaluate(now, stored, [p for p, _ in buckets], spend)
        if new is not None:
            for table, (_, key), tat in zip(tables, buckets, new, strict=True):
                table.pop(key, None)  # re-inserted last: the dict stays in update order
                table[key] = tat
                if len(table) > self.max_clients:
                    self._evict(table)
        return decision

    def _evict(self, table: dict[str, float]) -> None:
        # The oldest entries first: usually full buckets (TAT past) that cost nothing to forget.
        target = self.max_clients * 9 // 10
        while len(table) > target:
            del table[next(iter(table))]

    def size(self, name: str) -> int:
        return len(self._tats.get(name, {}))
