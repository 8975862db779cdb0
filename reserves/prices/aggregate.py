"""The median price of one round: a verdict per source, then the median of the sources kept.

Pure and exact: no clock, no I/O, no float. Every step runs in a decimal context that traps
`Inexact`, so a median or a deviation that could not be computed exactly raises instead of
rounding; values carry at most 66 digits (chains.price.base), far below the context's precision.

The rules, in order (each source gets one `reason`, `ok` when kept):

1. a source that failed is `timeout`, `unavailable` or `malformed`;
2. a value that is `zero`, `negative`, `absurd` (outside the configured bounds), dated in the
   `future` or `too_old` (its own time older than `max_age_seconds`), or `frozen` (the same value
   for longer than `heartbeat_seconds`) is dropped;
3. the first median is taken over the rest; every source more than `deviation_bp` basis points
   from it is dropped as `deviation`;
4. the price is the median of the sources kept. Fewer than `min_sources` kept makes the round
   `stale` (`too_few_sources`), and the price then says what those few gave, nothing more.

With at least 3 sources kept, one bad source cannot move the price outside the range of the
honest ones: it is one value of at least three around their median.

The price as an integer: `price_e8` = floor(price x 10**8), quote units with 8 decimals
(SCALE); the exact median is `price`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Context, Decimal, Inexact, InvalidOperation, localcontext

SCALE = 8
FUTURE_SKEW = timedelta(seconds=60)  # a source's clock may run this far ahead of ours
FAILURES = ("timeout", "unavailable", "malformed")
REASONS = ("ok", *FAILURES, "zero", "negative", "absurd", "future", "too_old", "frozen", "deviation")
STALE_REASONS = ("no_sources", "too_few_sources")
_EXACT = Context(prec=200, traps=[Inexact, InvalidOperation])


@dataclass(frozen=True)
class PricePolicy:
    """How a round is judged; see the module docstring. Bounds are in quote units per base unit."""

    deviation_bp: int = 200
    min_sources: int = 3
    heartbeat_seconds: int = 300
    max_age_seconds: int = 300
    min_price: Decimal = Decimal(1)
    max_price: Decimal = Decimal(10_000_000)


@dataclass(frozen=True)
class Observation:
    """What one source gave this round: a value and its time, or `failure` (one of FAILURES)."""

    source: str
    kind: str
    value: Decimal | None = None
    time: datetime | None = None
    failure: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Memory:
    """A source's last value and since when it has had it (frozen detection across rounds)."""

    value: Decimal
    since: datetime


@dataclass(frozen=True)
class Verdict:
    """One source's part in a round: what it said, whether it was kept and why (REASONS)."""

    source: str
    kind: str
    value: Decimal | None
    time: datetime | None
    kept: bool
    reason: str
    detail: str
    since: datetime | None  # the value unchanged since then (None without a value)


@dataclass(frozen=True)
class Aggregate:
    """One round of one pair at `time`: the price (None when no source was kept), fresh or stale."""

    pair: str
    time: datetime
    price: Decimal | None
    status: str  # "fresh" | "stale"
    reason: str | None  # None when fresh, else one of STALE_REASONS
    first_median: Decimal | None
    verdicts: tuple[Verdict, ...]

    @property
    def price_e8(self) -> int | None:
        return None if self.price is None else to_e8(self.price)

    @property
    def kept(self) -> int:
        return sum(v.kept for v in self.verdicts)


def to_e8(value: Decimal) -> int:
    """floor(value x 10**SCALE): the integer representation of a price."""
    with localcontext(_EXACT):
        return int(value.scaleb(SCALE).to_integral_value(rounding=ROUND_FLOOR))


def median(values: Sequence[Decimal]) -> Decimal:
    """The exact median of a non-empty sequence (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    with localcontext(_EXACT):
        if len(ordered) % 2:
            return ordered[mid] + 0  # normalised by the context, as the even case is
        return (ordered[mid - 1] + ordered[mid]) / 2


def deviates(value: Decimal, reference: Decimal, deviation_bp: int) -> bool:
    """|value - reference| > deviation_bp / 10000 of reference (reference > 0), exactly."""
    with localcontext(_EXACT):
        return abs(value - reference) * 10_000 > reference * deviation_bp


def _since(obs: Observation, previous: Mapping[str, Memory], now: datetime) -> datetime | None:
    if obs.value is None:
        return None
    memory = previous.get(obs.source)
    return memory.since if memory is not None and memory.value == obs.value else now


def _screen(obs: Observation, since: datetime | None, policy: PricePolicy, now: datetime) -> str:
    """The reason a source is dropped before the median, or "ok"."""
    if obs.failure is not None:
        return obs.failure if obs.failure in FAILURES else "unavailable"
    if obs.value is None or obs.time is None:
        return "malformed"
    if obs.value == 0:
        return "zero"
    if obs.value < 0:
        return "negative"
    if not policy.min_price <= obs.value <= policy.max_price:
        return "absurd"
    if obs.time > now + FUTURE_SKEW:
        return "future"
    if now - obs.time > timedelta(seconds=policy.max_age_seconds):
        return "too_old"
    if since is not None and now - since > timedelta(seconds=policy.heartbeat_seconds):
        return "frozen"
    return "ok"


def aggregate(
    pair: str,
    observations: Iterable[Observation],
    policy: PricePolicy,
    now: datetime,
    previous: Mapping[str, Memory] | None = None,
) -> Aggregate:
    """Judge one round (see the module docstring). `previous` is each source's Memory from the
    rounds before (empty: nothing frozen yet); the verdicts carry the new one in `since`.
    Verdicts come out in source-name order, so the result does not depend on the input's order."""
    obs = sorted(observations, key=lambda o: o.source)
    memory = previous or {}
    since = [_since(o, memory, now) for o in obs]
    screened = [_screen(o, s, policy, now) for o, s in zip(obs, since)]
    candidates = [o.value for o, r in zip(obs, screened) if r == "ok" and o.value is not None]
    first = median(candidates) if candidates else None
    reasons = [
        "deviation" if r == "ok" and first is not None and deviates(o.value, first, policy.deviation_bp) else r  # type: ignore[arg-type]
        for o, r in zip(obs, screened)
    ]
    verdicts = tuple(
        Verdict(o.source, o.kind, o.value, o.time, r == "ok", r, o.detail, s) for o, r, s in zip(obs, reasons, since)
    )
    kept = [v.value for v in verdicts if v.kept and v.value is not None]
    price = median(kept) if kept else None
    if not obs:
        status, reason = "stale", "no_sources"
    elif len(kept) < policy.min_sources:
        status, reason = "stale", "too_few_sources"
    else:
        status, reason = "fresh", None
    return Aggregate(pair, now, price, status, reason, first, verdicts)


def memories(verdicts: Iterable[Verdict], before: Mapping[str, Memory] | None = None) -> dict[str, Memory]:
    """What the next round must remember of this one's verdicts. A source that gave no value this round
    keeps its memory from `before` (the rounds before): a failure in between does not make a value
    that never changed new again, or a source frozen but failing now and then would never be frozen."""
    out = dict(before or {})
    out.update({v.source: Memory(v.value, v.since) for v in verdicts if v.value is not None and v.since is not None})
    return out
