"""Time locks of a miniscript: what each spending path waits for, and whether one is open at a tip."""

from __future__ import annotations

from dataclasses import dataclass

from embit.descriptor import miniscript as ms

from chains.base import TimeLock

# nLockTime / after(n): values below this are block heights, from it on Unix times (BIP-65).
LOCKTIME_THRESHOLD = 500_000_000
# BIP-68 nSequence: bit 22 selects 512-second units, the low 16 bits hold the value.
SEQUENCE_TYPE_FLAG = 1 << 22
SEQUENCE_MASK = 0xFFFF
SEQUENCE_GRANULARITY = 512
# A path set that grows beyond this (huge thresh fragments) is refused rather than enumerated.
MAX_PATHS = 4096
# Used only to compare a height lock with a time lock when both are still closed.
SECONDS_PER_BLOCK = 600
# `until` of a relative time lock when neither the output's nor the tip's median time is known.
UNKNOWN_TIME = 0xFFFFFFFF


class LockAnalysisError(ValueError):
    """The script has no satisfiable spending path, or too many to enumerate."""


@dataclass(frozen=True, order=True)
class PathLocks:
    """What one satisfaction path needs, 0 meaning nothing of that kind.

    `after_height`/`after_time` are the largest `after(n)` of the path (height or Unix time);
    `older_blocks`/`older_units` the largest BIP-68 `older(n)` value (blocks, or 512 s units).
    A path needing both a height and a time lock of the same family cannot be satisfied (one
    nLockTime, one nSequence per input) and is never built.
    """

    after_height: int = 0
    after_time: int = 0
    older_blocks: int = 0
    older_units: int = 0

    @property
    def locked(self) -> bool:
        return any((self.after_height, self.after_time, self.older_blocks, self.older_units))

    def dominates(self, other: PathLocks) -> bool:
        """Whether this path is never later than `other` (needs no more of anything)."""
        return all(a <= b for a, b in zip(self._tuple(), other._tuple()))

    def _tuple(self) -> tuple[int, int, int, int]:
        return (self.after_height, self.after_time, self.older_blocks, self.older_units)


NO_LOCK = PathLocks()


def _join(a: PathLocks, b: PathLocks) -> PathLocks | None:
    """Both paths' requirements at once; None when they mix lock kinds (unsatisfiable)."""
    joined = PathLocks(*(max(x, y) for x, y in zip(a._tuple(), b._tuple())))
    if (joined.after_height and joined.after_time) or (joined.older_blocks and joined.older_units):
        return None
    return joined


def _front(paths: list[PathLocks]) -> list[PathLocks]:
    """Keep the Pareto-minimal paths: one that needs more than another is never the earliest."""
    unique = sorted(set(paths))
    kept = [p for p in unique if not any(q != p and q.dominates(p) for q in unique)]
    if len(kept) > MAX_PATHS:
        raise LockAnalysisError(f"more than {MAX_PATHS} distinct time-lock paths")
    return kept


def _product(left: list[PathLocks], right: list[PathLocks]) -> list[PathLocks]:
    return _front([j for a in left for b in right if (j := _join(a, b)) is not None])


def spending_paths(node: ms.Miniscript) -> tuple[PathLocks, ...]:
    """The Pareto-minimal time-lock requirements over all satisfaction paths of `node`.

    LockAnalysisError when no path can be satisfied (every path mixes height and time locks).
    """
    paths = _paths(node)
    if not paths:
        raise LockAnalysisError("no spending path can be satisfied (each mixes height and time locks)")
    return tuple(paths)


def _paths(node: ms.Miniscript) -> list[PathLocks]:
    if isinstance(node, ms.After):
        n = node.arg.num
        return [PathLocks(after_time=n) if n >= LOCKTIME_THRESHOLD else PathLocks(after_height=n)]
    if isinstance(node, ms.Older):
        n = node.arg.num
        value = n & SEQUENCE_MASK
        return [PathLocks(older_units=value) if n & SEQUENCE_TYPE_FLAG else PathLocks(older_blocks=value)]
    if isinstance(node, ms.Wrapper):
        # l:X and u:X are or_i(0,X) / or_i(X,0): the 0 branch cannot be satisfied, so X's paths.
        return _paths(node.arg)
    if isinstance(node, (ms.AndV, ms.AndB, ms.AndN)):
        # and_n(X,Y) = andor(X,Y,0): only the X-and-Y branch is satisfiable.
        return _product(_paths(node.args[0]), _paths(node.args[1]))
    if isinstance(node, (ms.OrB, ms.OrC, ms.OrD, ms.OrI)):
        return _front(_paths(node.args[0]) + _paths(node.args[1]))
    if isinstance(node, ms.AndOr):
        both = _product(_paths(node.args[0]), _paths(node.args[1]))
        return _front(both + _paths(node.args[2]))
    if isinstance(node, ms.Thresh):
        return _thresh(node.args[0].num, [_paths(sub) for sub in node.args[1:]])
    # pk, pkh, pk_k, pk_h, multi, sortedmulti, multi_a, hash preimages: no time lock.
    return [NO_LOCK]


def _thresh(k: int, subs: list[list[PathLocks]]) -> list[PathLocks]:
    """Paths of thresh(k, subs): any k of the subs satisfied together (dynamic programming over
    "j chosen among the first i" so that thresh(10, 20 subs) is not 184,756 combinations)."""
    chosen: list[list[PathLocks]] = [[NO_LOCK]] + [[] for _ in range(k)]
    for sub in subs:
        for j in range(k, 0, -1):
            if chosen[j - 1]:
                chosen[j] = _front(chosen[j] + _product(chosen[j - 1], sub))
    return chosen[k]


def fragments(node: ms.Miniscript) -> tuple[str, ...]:
    """The lock fragments in script order without repeats, e.g. ("after(800000)", "older(144)")."""
    found: dict[str, None] = {}

    def walk(n: ms.Miniscript) -> None:
        if isinstance(n, (ms.After, ms.Older)):
            found[f"{n.NAME}({n.arg.num})"] = None
            return
        for arg in n.args:
            if isinstance(arg, ms.Miniscript):
                walk(arg)

    walk(node)
    return tuple(found)


def _pending(
    path: PathLocks, utxo_height: int | None, tip_height: int, tip_mtp: int | None, utxo_mtp: int | None
) -> list[TimeLock]:
    """The locks of `path` still closed for a spend mined in the block after the tip."""
    next_height = tip_height + 1
    out: list[TimeLock] = []
    if path.after_height and path.after_height + 1 > next_height:
        # nLockTime = n is final in a block of height > n (BIP-65 then IsFinalTx).
        out.append(TimeLock("height", path.after_height + 1, False))
    if path.after_time and (tip_mtp is None or tip_mtp <= path.after_time):
        # BIP-113: the next block compares nLockTime with the tip's median time past; it must be below.
        out.append(TimeLock("time", path.after_time + 1, False))
    confirmed = utxo_height is not None
    if path.older_blocks:
        base = next_height if utxo_height is None else utxo_height
        until = base + path.older_blocks
        if not confirmed or until > next_height:
            out.append(TimeLock("height", until, True))
    if path.older_units:
        out.extend(_relative_time(path.older_units, confirmed, tip_mtp, utxo_mtp))
    return out


def _relative_time(units: int, confirmed: bool, tip_mtp: int | None, utxo_mtp: int | None) -> list[TimeLock]:
    # BIP-68 counts from the median time past of the block before the output's block. Callers may
    # pass a later time (the output block's own median time, or its timestamp): the unlock then
    # comes out later, never earlier. Without it, the tip's median time stands in (later still).
    base = utxo_mtp if (confirmed and utxo_mtp is not None) else tip_mtp
    if base is None:
        return [TimeLock("time", UNKNOWN_TIME, True)]
    until = base + units * SEQUENCE_GRANULARITY
    if confirmed and tip_mtp is not None and tip_mtp >= until:
        return []
    return [TimeLock("time", until, True)]


def _wait(lock: TimeLock, tip_height: int, tip_mtp: int | None) -> int:
    """Rough seconds until `lock` opens, only to pick the earliest of height and time locks."""
    if lock.kind == "height":
        return max(0, lock.until - tip_height - 1) * SECONDS_PER_BLOCK
    return max(0, lock.until - (tip_mtp or 0))


def unlock_at(
    paths: tuple[PathLocks, ...],
    *,
    utxo_height: int | None,
    tip_height: int,
    tip_median_time: int | None,
    utxo_median_time: int | None = None,
) -> TimeLock | None:
    """None when some path of `paths` is open for a spend in the block after the tip; else the lock
    that keeps the earliest-opening path closed (its latest pending lock).

    An unconfirmed output is locked on every path with a relative lock (BIP-68 counts from its
    block). A time lock with an unknown tip median time counts as closed. Comparing a height lock
    with a time lock assumes 600 s per block.
    """
    best: tuple[int, TimeLock] | None = None
    for path in paths:
        pending = _pending(path, utxo_height, tip_height, tip_median_time, utxo_median_time)
        if not pending:
            return None
        waits = [(_wait(lock, tip_height, tip_median_time), lock) for lock in pending]
        latest = max(waits, key=lambda w: (w[0], w[1].until))
        if best is None or latest[0] < best[0]:
            best = latest
    return None if best is None else best[1]
