"""Reading every source of one snapshot at once: outcomes, one tip per chain, each outpoint once.

Failures come back as outcomes, never as exceptions: a source that fails makes the attestation
stale, it never stops the snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from chains.base import DuplicateOutpoint
from chains.errors import ChainError
from reserves.monitor import state as monitor_state
from reserves.snapshot.sources import Source, Sources
from reserves.storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """One source's result: a reading, or an error code and a detail safe to publish."""

    source: Source
    reading: Any = None
    error_code: str | None = None
    error_detail: str | None = None


async def read_one(source: Source, method: str, timeout: float, *args: Any) -> Outcome:
    try:
        reading = await asyncio.wait_for(getattr(source.adapter, method)(*args), timeout)
        return Outcome(source, reading=reading)
    except ChainError as exc:
        return Outcome(source, error_code=exc.code, error_detail=exc.detail)
    except TimeoutError:
        return Outcome(source, error_code="timeout", error_detail=f"no answer within {timeout:g} s")
    except Exception as exc:  # a bug in one adapter makes that source stale, never a dead job
        log.exception("source %s failed unexpectedly", source.settings.name)
        return Outcome(source, error_code="internal", error_detail=f"unexpected {type(exc).__name__}")


async def read_sources(sources: Sources, timeout: float) -> tuple[list[Outcome], list[Outcome]]:
    """Read all reserve and supply sources at once; failures come back as outcomes, not exceptions.

    A source that has not answered within `timeout` seconds counts as failed.
    Reserve sources on one chain must agree on the tip (see `same_tip`): on disagreement they
    are read again once, then the ones behind are failed.
    """
    started = time.monotonic()
    reserve_tasks = [read_one(s, "read_reserves", timeout) for s in sources.reserve]
    supply_tasks = [read_one(s, "read_supply", timeout) for s in sources.supply]
    results = await asyncio.gather(*reserve_tasks, *supply_tasks)
    reserves, supply = list(results[: len(reserve_tasks)]), list(results[len(reserve_tasks) :])
    # The second read gets what is left of the one deadline: a snapshot never takes longer than
    # source_timeout_seconds, whatever the sources do.
    left = timeout - (time.monotonic() - started)
    if not same_tip(reserves) and left >= 1.0:
        reserves = list(await asyncio.gather(*[read_one(s, "read_reserves", left) for s in sources.reserve]))
    return fail_behind_tip(reserves), supply


def _tips(outcomes: list[Outcome]) -> dict[str, set[tuple[int, str]]]:
    tips: dict[str, set[tuple[int, str]]] = {}
    for o in outcomes:
        if o.reading is not None:
            tips.setdefault(o.reading.block.chain_id, set()).add((o.reading.block.height, o.reading.block.hash))
    return tips


def same_tip(outcomes: list[Outcome]) -> bool:
    """True when all reserve readings of a chain were made at one tip.

    Sources read at different tips can count one coin twice: moved from wallet A to wallet B in
    a block that A's reading predates and B's includes. Different outpoints, so dedupe cannot
    see it; only one tip for all makes the sum a state that existed.
    """
    return all(len(t) == 1 for t in _tips(outcomes).values())


def fail_behind_tip(outcomes: list[Outcome]) -> list[Outcome]:
    """Fail every reading not made at its chain's newest tip (stale beats a sum of two states)."""
    newest = {chain: max(t) for chain, t in _tips(outcomes).items()}
    out = []
    for o in outcomes:
        if o.reading is not None:
            block = o.reading.block
            height, tip_hash = newest[block.chain_id]
            if (block.height, block.hash) != (height, tip_hash):
                o = Outcome(
                    o.source,
                    error_code="inconsistent_tip",
                    error_detail=f"read at {block.height}/{block.hash[:16]}… while another source "
                    f"was read at {height}/{tip_hash[:16]}…",
                )
        out.append(o)
    return out


def _wallet_of(u, source: str) -> str:
    return u.wallet or source  # outputs of flat address lists: the wallet named after the source


def dedupe_outpoints(outcomes: list[Outcome]) -> list[Outcome]:
    """Count each outpoint once across sources: the first source by name keeps it.

    Two declarations covering the same coin (an address listed twice, overlapping descriptors)
    must never double the reserves. A dropped outpoint is reported as a duplicate of the source
    that lost it, naming the wallet that counts it first; an uncounted output another source
    counts (or lists) is dropped from the later one's list the same way.
    """
    counted: dict[tuple[str, int], str] = {}
    listed: set[tuple[str, int]] = set()
    # Counted by any source: such an output is listed as uncounted by none, wherever it sorts
    # (sources with different confirmation rules may disagree on it).
    counted_anywhere = {(u.txid, u.vout) for o in outcomes if o.reading is not None for u in o.reading.utxos}
    out = []
    for o in sorted(outcomes, key=lambda x: x.source.settings.name):
        if o.reading is None:
            out.append(o)
            continue
        name, reading = o.source.settings.name, o.reading
        kept, dups = [], {(d.txid, d.vout): d for d in reading.duplicates}
        for u in reading.utxos:
            point = (u.txid, u.vout)
            if point in counted:
                dups[point] = _merge(dups.get(point), point, counted[point], _wallet_of(u, name), name)
            else:
                kept.append(u)
        counted.update(((u.txid, u.vout), _wallet_of(u, name)) for u in kept)
        uncounted = tuple(
            u for u in reading.uncounted if (u.txid, u.vout) not in counted_anywhere and (u.txid, u.vout) not in listed
        )
        listed.update((u.txid, u.vout) for u in uncounted)
        if len(kept) != len(reading.utxos) or len(uncounted) != len(reading.uncounted):
            log.warning(
                "source %s: %d outpoints already counted by another source", name, len(reading.utxos) - len(kept)
            )
            o = replace(
                o,
                reading=replace(
                    reading,
                    utxos=tuple(kept),
                    total_sat=sum(u.value_sat for u in kept),
                    uncounted=uncounted,
                    duplicates=tuple(dups.values()),
                ),
            )
        out.append(o)
    return out


def _merge(
    known: DuplicateOutpoint | None, point: tuple[str, int], first: str, other: str, source: str
) -> DuplicateOutpoint:
    wallets = [first] + [w for w in (known.wallets if known else ()) if w != first]
    if other == first:  # one name in two sources (a flat list named like a wallet): say which source
        other = f"{other} ({source})"[:200]
    if other not in wallets:
        wallets.append(other)
    return DuplicateOutpoint(point[0], point[1], tuple(wallets))


async def block_monitored(db: Database, supply: list[Outcome]) -> list[Outcome]:
    """Fail every deployment the event monitor has an unresolved issue with (its code and detail).

    A discrepancy between replayed events and totalSupply(), or an unhandled reorg, means the
    supply read cannot be trusted: the entry fails and the status is stale, never healthy. When
    the monitor's state cannot be read at all, every deployment fails the same way.
    """
    try:
        issues = await monitor_state.blocking_issues(db)
    except Exception:  # an unreadable monitor state must not let unchecked supply count
        log.exception("reading the event monitor's blocking issues")
        issues = {
            o.source.settings.name: ("monitor_unavailable", "the event monitor's state could not be read")
            for o in supply
        }
    out = []
    for o in supply:
        issue = issues.get(o.source.settings.name)
        out.append(o if issue is None else Outcome(o.source, error_code=issue[0], error_detail=issue[1]))
    return out
