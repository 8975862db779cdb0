"""The one retry loop and backoff policy of the chain clients (chains.retry)."""

from __future__ import annotations

import traceback

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chains.errors import ChainDataError, ChainUnavailable
from chains.retry import MAX_STEPS, RPC_BACKOFF, Backoff, Retryable, retrying


@given(st.floats(0.0, 60.0), st.integers(0, 10_000))
def test_a_wait_is_jittered_exponential_and_bounded(first: float, attempt: int) -> None:
    delay = Backoff(first).delay(attempt)
    assert 0.0 <= delay <= min(first * 2 ** min(attempt, 32), first * MAX_STEPS)


def test_waits_spread_over_the_whole_step() -> None:
    # Full jitter: both halves of [0, step] are drawn (a fixed or "equal jitter" wait would not be).
    delays = [Backoff(1.0).delay(2) for _ in range(400)]
    assert min(delays) < 1.0 < 3.0 < max(delays) <= 4.0


def test_the_json_rpc_clients_keep_their_steps() -> None:
    # EVM and Solana waited at most 0.2 s, 0.4 s, ... and never more than 2 s before.
    assert (RPC_BACKOFF.first_seconds, RPC_BACKOFF.max_seconds) == (0.2, 2.0)
    assert Backoff(0.0).delay(5) == 0.0


def failing(times: int, errors: list[Exception], result: str = "ok"):
    """An attempt that raises Retryable (from errors[i], when given) `times` times, then answers."""
    calls = {"n": 0}

    async def attempt() -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            cause = errors[calls["n"] - 1] if errors else None
            raise Retryable(f"failure {calls['n']}") from cause
        return result

    return attempt, calls


def give_up(detail: str, attempts: int) -> ChainUnavailable:
    return ChainUnavailable(f"{detail} (after {attempts} attempts)")


async def test_transient_failures_are_retried_until_an_answer() -> None:
    attempt, calls = failing(2, [])
    assert await retrying(attempt, retries=2, backoff=Backoff(0.001), give_up=give_up) == "ok"
    assert calls["n"] == 3


async def test_the_last_failure_gives_up_chaining_the_original_error() -> None:
    original = TimeoutError("slow")
    attempt, calls = failing(5, [TimeoutError("first"), original, original])
    with pytest.raises(ChainUnavailable, match=r"^failure 3 \(after 3 attempts\)$") as info:
        await retrying(attempt, retries=2, backoff=Backoff(0.001), give_up=give_up)
    assert calls["n"] == 3 and info.value.__cause__ is original


async def test_a_hidden_cause_stays_hidden() -> None:
    async def attempt() -> str:
        try:
            raise ValueError("http://user:SECRET@host/")
        except ValueError:
            raise Retryable("HTTP 503") from None

    with pytest.raises(ChainUnavailable) as info:
        await retrying(attempt, retries=0, backoff=Backoff(0.0), give_up=give_up)
    assert info.value.__cause__ is None
    assert "SECRET" not in "".join(traceback.format_exception(info.value))


async def test_other_errors_are_answers_and_never_retried() -> None:
    calls = {"n": 0}

    async def attempt() -> str:
        calls["n"] += 1
        raise ChainDataError("garbage")

    with pytest.raises(ChainDataError):
        await retrying(attempt, retries=5, backoff=Backoff(0.0), give_up=give_up)
    assert calls["n"] == 1
