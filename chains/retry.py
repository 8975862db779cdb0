"""Retries for every HTTP and JSON-RPC client of the adapters: one backoff policy, one loop."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from chains.errors import ChainError

T = TypeVar("T")

# A wait never grows past this many first steps: with 10 retries an unbounded doubling would wait
# minutes (0.5 s * 2**9) between the last attempts, long after the reading has gone stale.
MAX_STEPS = 10
# The first step of the JSON-RPC clients (EVM, Solana), which have no `backoff_seconds` setting.
RPC_FIRST_STEP_SECONDS = 0.2


@dataclass(frozen=True)
class Backoff:
    """Jittered exponential backoff, bounded.

    Before retry `n` (0 for the first retry) the wait is a uniform random time in
    [0, min(first_seconds * 2**n, MAX_STEPS * first_seconds)] ("full jitter": clients that failed
    together do not come back together). `first_seconds` 0 never waits (tests use it).
    """

    first_seconds: float

    @property
    def max_seconds(self) -> float:
        """The longest a single wait can be."""
        return self.first_seconds * MAX_STEPS

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry `attempt` (0-based)."""
        # Capping the exponent first keeps 2**attempt finite for any attempt count.
        step = min(self.first_seconds * 2 ** min(attempt, 32), self.max_seconds)
        return random.uniform(0, step)


RPC_BACKOFF = Backoff(RPC_FIRST_STEP_SECONDS)


class Retryable(Exception):
    """One attempt failed in a way worth another (timeout, transport error, 5xx, 429, ...).

    Raised by a client's single attempt and consumed by `retrying`; it never leaves a client.
    `detail` is safe to show (no URL, no credentials). Raise it `from` the original error when that
    error may be chained to the final ChainError, `from None` when it must not (it repeats a URL).
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


async def retrying(
    attempt: Callable[[], Awaitable[T]],
    *,
    retries: int,
    backoff: Backoff,
    give_up: Callable[[str, int], ChainError],
) -> T:
    """The result of `attempt()`, made up to `1 + retries` times while it raises Retryable.

    Any other exception propagates at once (an answer, even a bad one, is not retried). After the
    last failed attempt raises `give_up(detail, attempts)` from the Retryable's own cause, so the
    final error chains the original timeout or transport error, or nothing when it was hidden.
    """
    failures = 0
    while True:
        try:
            return await attempt()
        except Retryable as exc:
            if failures >= retries:
                raise give_up(exc.detail, failures + 1) from exc.__cause__
            await asyncio.sleep(backoff.delay(failures))
            failures += 1
