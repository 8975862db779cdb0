"""The reserve engine: read every source concurrently, decide, sign, chain and store one attestation."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from chains.base import DuplicateOutpoint
from chains.errors import ChainError
from reserves.attestation import Entries, Header, ReserveResult, ReserveSetRef, SupplyResult, envelope
from reserves.attestation.arithmetic import format_timestamp as ar_format
from reserves.snapshot import build as attest
from reserves.snapshot import faults
from reserves.snapshot import store
from reserves.attestation.members import signers
from reserves.errors import ReservesError
from reserves.monitor import state as monitor_state
from reserves.declarations.reserve_set import build_reserve_set, record_reserve_set, source_wallets
from reserves.runtime import Runtime, Source
from reserves.storage import repository as repo

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
    except asyncio.TimeoutError:
        return Outcome(source, error_code="timeout", error_detail=f"no answer within {timeout:g} s")
    except Exception as exc:  # a bug in one adapter makes that source stale, never a dead job
        log.exception("source %s failed unexpectedly", source.settings.name)
        return Outcome(source, error_code="internal", error_detail=f"unexpected {type(exc).__name__}")


async def read_sources(rt: Runtime) -> tuple[list[Outcome], list[Outcome]]:
    """Read all reserve and supply sources at once; failures come back as outcomes, not exceptions.

    A source that has not answered within `schedule.source_timeout_seconds` counts as failed.
    Reserve sources on one chain must agree on the tip (see `same_tip`): on disagreement they
    are read again once, then the ones behind are failed.
    """
    timeout = rt.settings.schedule.source_timeout_seconds
    started = time.monotonic()
    reserve_tasks = [read_one(s, "read_reserves", timeout) for s in rt.reserve_sources]
    supply_tasks = [read_one(s, "read_supply", timeout) for s in rt.supply_sources]
    results = await asyncio.gather(*reserve_tasks, *supply_tasks)
    reserves, supply = list(results[: len(reserve_tasks)]), list(results[len(reserve_tasks):])
    # The second read gets what is left of the one deadline: a snapshot never takes longer than
    # source_timeout_seconds, whatever the sources do.
    left = timeout - (time.monotonic() - started)
    if not same_tip(reserves) and left >= 1.0:
        reserves = list(await asyncio.gather(*[read_one(s, "read_reserves", left) for s in rt.reserve_sources]))
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
                o = Outcome(o.source, error_code="inconsistent_tip",
                            error_detail=f"read at {block.height}/{block.hash[:16]}… while another source "
                                         f"was read at {height}/{tip_hash[:16]}…")
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
        uncounted = tuple(u for u in reading.uncounted if (u.txid, u.vout) not in counted_anywhere
                          and (u.txid, u.vout) not in listed)
        listed.update((u.txid, u.vout) for u in uncounted)
        if len(kept) != len(reading.utxos) or len(uncounted) != len(reading.uncounted):
            log.warning("source %s: %d outpoints already counted by another source", name,
                        len(reading.utxos) - len(kept))
            o = replace(o, reading=replace(reading, utxos=tuple(kept), total_sat=sum(u.value_sat for u in kept),
                                           uncounted=uncounted, duplicates=tuple(dups.values())))
        out.append(o)
    return out


def _merge(known: DuplicateOutpoint | None, point: tuple[str, int], first: str, other: str,
           source: str) -> DuplicateOutpoint:
    wallets = [first] + [w for w in (known.wallets if known else ()) if w != first]
    if other == first:  # one name in two sources (a flat list named like a wallet): say which source
        other = f"{other} ({source})"[:200]
    if other not in wallets:
        wallets.append(other)
    return DuplicateOutpoint(point[0], point[1], tuple(wallets))


def reserve_input(o: Outcome) -> ReserveResult:
    s = o.source.settings
    wallets = tuple(w.name for w in getattr(s.config, "wallets", ()) or ())
    return ReserveResult(name=s.name, kind=s.kind, max_age_seconds=o.source.max_age_seconds,
                         reading=o.reading, error_code=o.error_code, error_detail=o.error_detail,
                         wallets=wallets)


def _supply_input(o: Outcome) -> SupplyResult:
    s = o.source.settings
    # An EVM deployment names its contract, an SPL one its mint: either is the token's address.
    contract = getattr(s.config, "contract", None) or getattr(s.config, "mint", None) or "unknown"
    return SupplyResult(name=s.name, kind=s.kind, chain_id=s.config.chain_id, contract=contract,
                        max_age_seconds=o.source.max_age_seconds, reading=o.reading,
                        error_code=o.error_code, error_detail=o.error_detail,
                        role=s.supply_role, bridge_source=s.bridge_source)


async def block_monitored(rt: Runtime, supply: list[Outcome]) -> list[Outcome]:
    """Fail every deployment the event monitor has an unresolved issue with (its code and detail).

    A discrepancy between replayed events and totalSupply(), or an unhandled reorg, means the
    supply read cannot be trusted: the entry fails and the status is stale, never healthy. When
    the monitor's state cannot be read at all, every deployment fails the same way.
    """
    try:
        issues = await monitor_state.blocking_issues(rt.db)
    except Exception:  # an unreadable monitor state must not let unchecked supply count
        log.exception("reading the event monitor's blocking issues")
        issues = {o.source.settings.name: ("monitor_unavailable", "the event monitor's state could not be read")
                  for o in supply}
    out = []
    for o in supply:
        issue = issues.get(o.source.settings.name)
        out.append(o if issue is None else Outcome(o.source, error_code=issue[0], error_detail=issue[1]))
    return out


class ClockWentBackwards(ReservesError):
    """The host clock reads earlier than the newest attestation's issued_at."""

    code = "clock_backwards"


class SnapshotNotDue(ReservesError):
    """Another writer stored an attestation less than `min_gap_seconds` ago: this interval is taken."""

    code = "snapshot_not_due"


async def take_snapshot(rt: Runtime, *, now: datetime | None = None,
                        min_gap_seconds: float | None = None) -> dict[str, Any]:
    """Read, decide, sign and store the next attestation; returns its envelope {id, attestation}.

    Sequence and `previous` are taken inside the storing transaction, which first takes the
    chain lock (an advisory transaction lock on PostgreSQL, the write lock on SQLite); a
    concurrent writer that got there first makes this one build on it or, with
    `min_gap_seconds`, give up with SnapshotNotDue (one attestation per interval even when two
    replicas both believe they lead); the unique constraints are the last line (SequenceTaken).
    A crash anywhere before the commit leaves nothing behind.
    """
    reserve_set = await current_reserve_set(rt)
    reserves, supply = await read_sources(rt)
    supply = await block_monitored(rt, supply)
    faults.crash_point("after_read")
    s = rt.settings
    async with rt.db.sessions() as session:
        async with session.begin():
            await repo.lock_chain(session)
            latest = await repo.latest_attestation(session)
            previous = attest.previous_body(latest)
            engine, replaced = attest.signing_keys(rt, previous)  # a key that may not sign: refused first
            issued = (now or datetime.now(timezone.utc)).replace(microsecond=0)
            if latest is not None and issued < repo.utc(latest.issued_at):
                # A clock that went backwards must neither date the chain back in time nor publish
                # attestations pinned to a past instant: none until it catches up.
                raise ClockWentBackwards(
                    f"the clock reads {ar_format(issued)}, before sequence {latest.sequence}'s issued_at "
                    f"{ar_format(repo.utc(latest.issued_at))}: no attestation until it catches up")
            if latest is not None and min_gap_seconds is not None and \
                    (issued - repo.utc(latest.issued_at)).total_seconds() < min_gap_seconds:
                raise SnapshotNotDue(f"sequence {latest.sequence} was stored at {repo.utc(latest.issued_at)}")
            header = Header(
                sequence=0 if latest is None else latest.sequence + 1,
                previous=None if latest is None else latest.id,
                issued_at=issued,
                issuer_name=s.portal.issuer_name, issuer_url=s.portal.issuer_url,
                token_symbol=s.portal.token_symbol,
            )
            entries = Entries.read([reserve_input(o) for o in dedupe_outpoints(reserves)],
                                   [_supply_input(o) for o in supply])
            built = await attest.build_v4(session, rt, header, entries,
                                          ReserveSetRef(reserve_set.version, reserve_set.hash),
                                          latest, previous, issued, engine, replaced)
            body, att_id = built.body, built.id  # canonicalised once, by the builder
            faults.crash_point("after_build")
            document = signers.sign(body, att_id, engine, replaced)
            faults.crash_point("after_sign")
            await store.store_attestation(session, rt, att_id, body, document, previous, issued)
            faults.crash_point("before_commit")
        faults.crash_point("after_commit")
    log.info("attestation %d %s: %s ratio_bp=%s", body["sequence"], att_id[:12], body["status"], body["ratio_bp"])
    return envelope(document, att_id)


async def current_reserve_set(rt: Runtime):
    """The reserve-set version the runtime recorded at start (recorded now for a runtime built by hand)."""
    if rt.reserve_set is None:
        rt.reserve_set = await record_reserve_set(
            rt.db, build_reserve_set(source_wallets(rt.reserve_sources)), rt.settings.reserve_set.reason,
            devnet=rt.settings.devnet.enabled)
    return rt.reserve_set
