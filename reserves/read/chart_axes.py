"""Chart axes: "nice" time ticks in UTC and value ticks in basis points, satoshis or prices, labelled from integers."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

MINUTE, HOUR, DAY, WEEK = 60, 3600, 86400, 7 * 86400
# Fixed steps (seconds), each dividing a day or a whole number of days: ticks fall on round UTC clock times.
FIXED_STEPS = (1, 5, 15, 30, *(m * MINUTE for m in (1, 5, 15, 30)), *(h * HOUR for h in (1, 2, 3, 6, 12)), DAY, 2 * DAY)
MONTH_STEPS = (1, 2, 3, 6)
YEAR_STEPS = (1, 2, 5, 10, 20, 50, 100, 200)
MONDAY = datetime(2000, 1, 3, tzinfo=timezone.utc)  # weeks start on Monday (ISO 8601)
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
SAT_PER_BTC = 10**8


@dataclass(frozen=True)
class TimeTick:
    at: datetime
    label: str


def _day_label(t: datetime) -> str:
    return f"{t.day} {calendar.month_abbr[t.month]}"


def _fixed(start: datetime, end: datetime, step: int, anchor: datetime) -> list[TimeTick]:
    offset = -(-int((start - anchor).total_seconds()) // step) * step
    first = anchor + timedelta(seconds=offset)
    count = int((end - first).total_seconds() // step) + 1
    ticks = []
    for i in range(max(0, count)):
        t = first + timedelta(seconds=i * step)
        if step >= DAY or t.time() == time(0):
            label = _day_label(t)
        else:
            label = t.strftime("%H:%M" if step >= MINUTE else "%H:%M:%S")
        ticks.append(TimeTick(t, label))
    return ticks


def _months(start: datetime, end: datetime, step: int) -> list[TimeTick]:
    index = start.year * 12 + start.month - 1  # months since year 0
    if start != datetime(start.year, start.month, 1, tzinfo=timezone.utc):
        index += 1
    index = -(-index // step) * step
    ticks: list[TimeTick] = []
    while True:
        t = datetime(index // 12, index % 12 + 1, 1, tzinfo=timezone.utc)
        if t > end:
            return ticks
        ticks.append(TimeTick(t, str(t.year) if t.month == 1 else calendar.month_abbr[t.month]))
        index += step


def _years(start: datetime, end: datetime, step: int) -> list[TimeTick]:
    year = start.year + (start != datetime(start.year, 1, 1, tzinfo=timezone.utc))
    year = -(-year // step) * step
    return [TimeTick(datetime(y, 1, 1, tzinfo=timezone.utc), str(y)) for y in range(year, end.year + 1, step)]


def time_ticks(start: datetime, end: datetime, max_ticks: int) -> list[TimeTick]:
    """Ticks on round UTC times in [start, end], at most `max_ticks`: the smallest step of seconds,
    minutes, hours, days, a week (Mondays), months (1st of the month) or years that fits. Steps
    under a day are labelled "14:00" ("14:00:30" under a minute; midnight by its date, "3 Mar"),
    days "3 Mar", months "Mar" (January by its year), years "2026"; the caption gives full dates."""
    span = (end - start).total_seconds()
    for step in FIXED_STEPS:
        if span / step < max_ticks:
            return _fixed(start, end, step, EPOCH)
    if span / WEEK < max_ticks:
        return _fixed(start, end, WEEK, MONDAY)
    for months in MONTH_STEPS:
        if span / (months * 30.4 * DAY) < max_ticks - 1:
            return _months(start, end, months)
    for years in YEAR_STEPS:
        if span / (years * 365.2 * DAY) < max_ticks - 1:
            return _years(start, end, years)
    return _years(start, end, YEAR_STEPS[-1])


def nice_step(lo: int, hi: int, max_ticks: int) -> int:
    """The smallest step of 1, 2 or 5 times a power of ten whose multiples cover [lo, hi] in at
    most `max_ticks` ticks (both ends included); integers only, so huge amounts stay exact."""
    power = 1
    while True:
        for m in (1, 2, 5):
            step = m * power
            if -(-hi // step) - lo // step + 1 <= max(2, max_ticks):
                return step
        power *= 10


def value_ticks(lo: int, hi: int, max_ticks: int) -> tuple[int, int, list[int]]:
    """(low end, high end, tick values): [lo, hi] widened to multiples of a nice step, lo < hi."""
    if hi <= lo:
        pad = max(1, hi // 100)
        lo, hi = max(0, lo - pad), hi + pad
    step = nice_step(lo, hi, max_ticks)
    low, high = lo // step * step, -(-hi // step) * step
    return low, high, list(range(low, high + 1, step))


def _trailing_zeros(n: int, limit: int) -> int:
    z = 0
    while z < limit and n % 10 == 0:
        n //= 10
        z += 1
    return z


def percent_labels(ticks: list[int]) -> list[str]:
    """Basis points as percentages, all with the decimals the step needs ("99.5%", "100.0%")."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 100
    places = 2 - _trailing_zeros(step, 2)
    out = []
    for v in ticks:
        frac = f"{v % 100:02d}"[:places]
        out.append(f"{v // 100:,}" + (f".{frac}" if places else "") + "%")
    return out


def decimal_labels(ticks: list[int], scale: int) -> list[str]:
    """Integers in units of 10**-scale (satoshis: 8; price_e8: 8) as decimals with the fixed number of
    decimals the step needs ("0.5", "1.0"; "67,000"): exact, no floats."""
    unit = 10**scale
    step = ticks[1] - ticks[0] if len(ticks) > 1 else unit
    places = scale - _trailing_zeros(step, scale)
    out = []
    for v in ticks:
        frac = f"{v % unit:0{scale}d}"[:places]
        out.append(f"{v // unit:,}" + (f".{frac}" if places else ""))
    return out


def btc_labels(ticks: list[int]) -> list[str]:
    """Satoshis as BTC with the fixed number of decimals the step needs ("0.5", "1.0"): exact, no floats."""
    return decimal_labels(ticks, 8)


def duration(seconds: int) -> str:
    """A bucket size in words: "5 minutes", "hour", "4 hours", "day", "7 days"."""
    for unit, name in ((DAY, "day"), (HOUR, "hour"), (MINUTE, "minute")):
        if seconds % unit == 0:
            n = seconds // unit
            return name if n == 1 else f"{n:,} {name}s"
    return "second" if seconds == 1 else f"{seconds:,} seconds"
