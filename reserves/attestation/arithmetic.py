"""The integer rules of an attestation: liabilities rounding, ratio, status (engine and verifier share them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from reserves.errors import InvalidInput

SAT_PER_BTC = 10**8
BP_SCALE = 10_000  # basis points in 100 %
# Under 100 % backing is undercollateralised by definition; v1 does not make it configurable.
UNDERCOLLATERALIZED_BELOW_BP = BP_SCALE
# uint256 has 78 decimal digits; a token with more decimals than that cannot exist on an EVM chain.
MAX_DECIMALS = 77
# A band wider than the distance from 100 % to a sensible warning line would only hide recoveries.
MAX_HYSTERESIS_BP = 5_000
MAX_WINDOW_BLOCKS = 52_560  # a year of Bitcoin blocks

STATUSES = ("healthy", "warning", "undercollateralized", "stale")
# A block dated more than this after issued_at is "in the future": Bitcoin's own consensus
# tolerance (a node rejects a block timestamped over 2 h ahead of its adjusted time), used for
# every chain. Without it, a stalled or lying peer dating its block ahead, or a host clock running
# behind, would keep an observation "fresh" for max_age_seconds plus the offset.
MAX_FUTURE_BLOCK_SECONDS = 2 * 60 * 60


def _nonneg_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{what} must be a non-negative integer")
    return value


def liabilities_sat(total_supply: int, decimals: int) -> int:
    """Token supply in satoshis, rounded UP: ceil(total_supply * 10**8 / 10**decimals).

    `total_supply` is in raw token units; 10**decimals units are one BTC. The result is the least
    integer L with L * 10**decimals >= total_supply * 10**8, so liabilities are never under-counted.
    """
    _nonneg_int(total_supply, "total_supply")
    _nonneg_int(decimals, "decimals")
    if decimals > MAX_DECIMALS:
        raise InvalidInput(f"decimals must be at most {MAX_DECIMALS}")
    numerator = total_supply * SAT_PER_BTC
    denominator = 10**decimals
    return -(-numerator // denominator)  # ceiling division on integers, no floats


def ratio_bp(reserves_sat: int, liabilities: int) -> int | None:
    """floor(reserves_sat * 10000 / liabilities) in basis points; None when liabilities == 0."""
    _nonneg_int(reserves_sat, "reserves_sat")
    _nonneg_int(liabilities, "liabilities")
    if liabilities == 0:
        return None
    return reserves_sat * BP_SCALE // liabilities


@dataclass(frozen=True)
class Policy:
    """Status thresholds in basis points. `warning_below_bp` >= 10000 (warning sits above 100 %).

    `count_locked`: whether time-locked reserve outputs count towards `reserves.total_sat` and so
    the ratio (format 2; format 1 had no locks, which is the same as True).
    Format 4 adds: `hysteresis_bp`, the margin a ratio must clear above a line before the status
    improves across it (it never delays a worse status); `window_blocks`, the Bitcoin blocks over
    which the lowest attested ratio is reported; `flow_flag_bp`, the share of the reserves a flow
    between two attestations must exceed to be flagged; `recent_blocks`, how many confirmations
    still make a counted output "recent" (an inflow just before the snapshot).
    """

    warning_below_bp: int
    count_locked: bool = True
    hysteresis_bp: int = 0
    window_blocks: int = 144
    flow_flag_bp: int = 1000
    recent_blocks: int = 12

    def __post_init__(self) -> None:
        _nonneg_int(self.warning_below_bp, "warning_below_bp")
        if not isinstance(self.count_locked, bool):
            raise InvalidInput("count_locked must be true or false")
        if self.warning_below_bp < UNDERCOLLATERALIZED_BELOW_BP:
            raise InvalidInput(
                f"warning_below_bp must be >= {UNDERCOLLATERALIZED_BELOW_BP} (the undercollateralised line)"
            )
        for name, lo, hi in (
            ("hysteresis_bp", 0, MAX_HYSTERESIS_BP),
            ("window_blocks", 1, MAX_WINDOW_BLOCKS),
            ("flow_flag_bp", 1, 1_000_000),
            ("recent_blocks", 1, MAX_WINDOW_BLOCKS),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise InvalidInput(f"{name} must be an integer from {lo} to {hi}")

    @property
    def undercollateralized_below_bp(self) -> int:
        return UNDERCOLLATERALIZED_BELOW_BP


@dataclass(frozen=True)
class Observation:
    """Freshness facts of one reserve source or supply deployment, as the status rule sees them.

    `label` is "reserve source" or "supply deployment"; a failed one has `error_code` and no
    `block_time`; a read one has `block_time` (UTC, whole seconds) and `max_age_seconds`.
    """

    label: str
    name: str
    error_code: str | None = None
    block_time: datetime | None = None
    max_age_seconds: int | None = None


# No two datetimes are further apart than this: a larger max age is never exceeded (and building it as a
# timedelta would overflow: a schema-valid max_age_seconds goes up to 2**53 - 1).
MAX_SPAN_SECONDS = int((datetime.max - datetime.min).total_seconds())


def older_than(at: datetime, issued_at: datetime, max_age_seconds: int) -> bool:
    """`at` is more than `max_age_seconds` before `issued_at`; for any age and any dates, without overflow."""
    return max_age_seconds <= MAX_SPAN_SECONDS and issued_at - at > timedelta(seconds=max_age_seconds)


def in_future(at: datetime, issued_at: datetime) -> bool:
    """`at` is more than MAX_FUTURE_BLOCK_SECONDS after `issued_at` (an issued_at in year 9999 included)."""
    return at - issued_at > timedelta(seconds=MAX_FUTURE_BLOCK_SECONDS)


def stale_reasons(issued_at: datetime, observations: list[Observation]) -> list[str]:
    reasons = []
    for ob in observations:
        if ob.error_code is not None:
            reasons.append(f"{ob.label} {ob.name}: failed ({ob.error_code})")
            continue
        if ob.block_time is None or ob.max_age_seconds is None:
            raise InvalidInput(f"{ob.label} {ob.name}: neither failed nor read")
        if older_than(ob.block_time, issued_at, ob.max_age_seconds):
            reasons.append(
                f"{ob.label} {ob.name}: block_time {format_timestamp(ob.block_time)} is older than "
                f"max_age_seconds {ob.max_age_seconds}"
            )
        elif in_future(ob.block_time, issued_at):
            reasons.append(
                f"{ob.label} {ob.name}: block_time {format_timestamp(ob.block_time)} is in the future, more than "
                f"{MAX_FUTURE_BLOCK_SECONDS} seconds after issued_at"
            )
    return reasons


def decide_status(
    *,
    issued_at: datetime,
    observations: list[Observation],
    ratio: int | None,
    liabilities: int,
    policy: Policy,
) -> tuple[str, list[str]]:
    """(status, reasons) by the v1 rule; reasons are exact strings, empty iff healthy.

    Failed, too-old (block_time < issued_at - max_age_seconds) or future (block_time > issued_at +
    MAX_FUTURE_BLOCK_SECONDS) observation -> stale. Otherwise no liabilities -> healthy;
    ratio < 10000 -> undercollateralized; ratio < warning_below_bp -> warning; else healthy.
    A stale status still lists a known low ratio among its reasons.
    """
    stale = stale_reasons(issued_at, observations)
    if not stale and liabilities > 0 and ratio is None:
        raise InvalidInput("ratio missing although every source was read and supply is positive")
    if ratio is not None and ratio < UNDERCOLLATERALIZED_BELOW_BP:
        level = "undercollateralized"
        low = [f"ratio {ratio} bp is below {UNDERCOLLATERALIZED_BELOW_BP} bp"]
    elif ratio is not None and ratio < policy.warning_below_bp:
        level = "warning"
        low = [f"ratio {ratio} bp is below the warning line {policy.warning_below_bp} bp"]
    else:
        level, low = "healthy", []
    if stale:
        return "stale", stale + low
    return level, low


MIN_YEAR = 1000  # timestamps are years 1000 to 9999, on every platform (the browser verifier agrees)


def format_timestamp(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` in UTC, fractional seconds dropped; naive datetimes and years before
    MIN_YEAR are refused."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidInput("timestamps must be timezone-aware datetimes")
    m = moment.astimezone(timezone.utc)
    if m.year < MIN_YEAR:
        raise InvalidInput(f"timestamps before the year {MIN_YEAR} are not written")
    # Spelled out, not strftime: "%Y" pads years before 1000 on some platforms and not on others.
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"


def parse_timestamp(text: str) -> datetime:
    """Inverse of `format_timestamp`; raises InvalidInput on any other shape."""
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"not a YYYY-MM-DDTHH:MM:SSZ timestamp: {str(text)[:40]!r}") from exc
    moment = moment.replace(tzinfo=timezone.utc)
    # strptime accepts unpadded fields ("2024-1-5T..."); only the one canonical spelling is valid.
    if moment.year < MIN_YEAR or format_timestamp(moment) != text:
        raise InvalidInput(f"not a YYYY-MM-DDTHH:MM:SSZ timestamp: {str(text)[:40]!r}")
    return moment
