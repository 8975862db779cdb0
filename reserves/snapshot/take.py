"""One snapshot: read every source concurrently, decide, sign, chain and store one attestation."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any

from reserves.attestation import Entries, Header, ReserveResult, ReserveSetRef, SupplyResult, envelope
from reserves.attestation.arithmetic import format_timestamp as ar_format
from reserves.attestation.members import providers as lp_member
from reserves.attestation.members import signers
from reserves.errors import ReservesError
from reserves.providers import price as lp_price
from reserves.providers import record as lp_record
from reserves.providers.read import read_providers
from reserves.snapshot import build as attest
from reserves.snapshot import faults, store
from reserves.snapshot.context import SnapshotContext
from reserves.snapshot.read import Outcome, block_monitored, dedupe_outpoints, read_sources
from reserves.snapshot.tiers import tier_inputs
from reserves.storage import repository as repo

log = logging.getLogger(__name__)


def reserve_input(o: Outcome) -> ReserveResult:
    s = o.source.settings
    wallets = tuple(w.name for w in s.config.wallets)
    return ReserveResult(
        name=s.name,
        kind=s.kind,
        max_age_seconds=o.source.max_age_seconds,
        reading=o.reading,
        error_code=o.error_code,
        error_detail=o.error_detail,
        wallets=wallets,
    )


def _supply_input(o: Outcome) -> SupplyResult:
    s = o.source.settings
    # `contract` is the token's address: an EVM contract, an SPL mint (chains.base.SupplySourceConfig).
    return SupplyResult(
        name=s.name,
        kind=s.kind,
        chain_id=s.config.chain_id,
        contract=s.config.contract,
        max_age_seconds=o.source.max_age_seconds,
        reading=o.reading,
        error_code=o.error_code,
        error_detail=o.error_detail,
        role=s.supply_role,
        bridge_source=s.bridge_source,
    )


def providers_input(ctx: SnapshotContext, results, price, previous: dict | None) -> lp_member.ProvidersInput | None:
    """What the `providers` member is made of (None: no provider declared, the member is null); each
    provider's state before is the one the attestation before published (none before format 5)."""
    if not ctx.sources.providers:
        return None
    return lp_member.ProvidersInput(tuple(results), ctx.settings.provider_policy, price, lp_member.states(previous))


class ClockWentBackwards(ReservesError):
    """The host clock reads earlier than the newest attestation's issued_at."""

    code = "clock_backwards"


class SnapshotNotDue(ReservesError):
    """Another writer stored an attestation less than `min_gap_seconds` ago: this interval is taken."""

    code = "snapshot_not_due"


async def take_snapshot(
    ctx: SnapshotContext, *, now: datetime | None = None, min_gap_seconds: float | None = None
) -> dict[str, Any]:
    """Read, decide, sign and store the next attestation; returns its envelope {id, attestation}.

    Sequence and `previous` are taken inside the storing transaction, which first takes the
    chain lock (an advisory transaction lock on PostgreSQL, the write lock on SQLite); a
    concurrent writer that got there first makes this one build on it or, with
    `min_gap_seconds`, give up with SnapshotNotDue (one attestation per interval even when two
    replicas both believe they lead); the unique constraints are the last line (SequenceTaken).
    A crash anywhere before the commit leaves nothing behind.
    """
    s, reserve_set = ctx.settings, ctx.reserve_set
    timeout = s.schedule.source_timeout_seconds
    # Providers are read with the reserves and the supply, under the same deadline, and valued with
    # the oracle's newest round at the snapshot's start.
    (reserves, supply), lp_results, price_round = await asyncio.gather(
        read_sources(ctx.sources, timeout),
        read_providers(ctx.sources.providers, timeout),
        lp_price.newest_round(ctx.db, s.prices, now or datetime.now(timezone.utc)),
    )
    supply = await block_monitored(ctx.db, supply)
    tiers = await tier_inputs(s.tiers, reserves, s.schedule.source_timeout_seconds)
    faults.crash_point("after_read")
    async with ctx.db.sessions() as session:
        async with session.begin():
            await repo.lock_chain(session)
            latest = await repo.latest_attestation(session)
            previous = attest.previous_body(latest)
            engine, replaced = attest.signing_keys(ctx.keys, previous)  # a key that may not sign: refused first
            issued = (now or datetime.now(timezone.utc)).replace(microsecond=0)
            if latest is not None and issued < repo.utc(latest.issued_at):
                # A clock that went backwards must neither date the chain back in time nor publish
                # attestations pinned to a past instant: none until it catches up.
                raise ClockWentBackwards(
                    f"the clock reads {ar_format(issued)}, before sequence {latest.sequence}'s issued_at "
                    f"{ar_format(repo.utc(latest.issued_at))}: no attestation until it catches up"
                )
            if (
                latest is not None
                and min_gap_seconds is not None
                and (issued - repo.utc(latest.issued_at)).total_seconds() < min_gap_seconds
            ):
                raise SnapshotNotDue(f"sequence {latest.sequence} was stored at {repo.utc(latest.issued_at)}")
            header = Header(
                sequence=0 if latest is None else latest.sequence + 1,
                previous=None if latest is None else latest.id,
                issued_at=issued,
                issuer_name=s.portal.issuer_name,
                issuer_url=s.portal.issuer_url,
                token_symbol=s.portal.token_symbol,
            )
            entries = Entries.read(
                [reserve_input(o) for o in dedupe_outpoints(reserves)], [_supply_input(o) for o in supply]
            )
            built = await attest.build_next(
                session,
                ctx,
                header,
                entries,
                ReserveSetRef(reserve_set.version, reserve_set.hash),
                latest,
                previous,
                issued,
                engine,
                replaced,
                tiers,
                # The price is judged fresh or not at issued_at, the time the attestation states.
                providers_input(ctx, lp_results, lp_price.judged(price_round, s.prices, issued), previous),
            )
            body, att_id = built.body, built.id  # canonicalised once, by the builder
            faults.crash_point("after_build")
            document = signers.sign(body, att_id, engine, replaced)
            faults.crash_point("after_sign")
            await store.store_attestation(session, att_id, body, document, previous, issued)
            if body.get("providers") is not None:
                # Stored beside its attestation too, for the providers' pages and API, with one
                # event per state change.
                await lp_record.record(
                    session, attestation_id=att_id, sequence=header.sequence, issued=issued, member=body["providers"]
                )
            faults.crash_point("before_commit")
        faults.crash_point("after_commit")
    log.info("attestation %d %s: %s ratio_bp=%s", body["sequence"], att_id[:12], body["status"], body["ratio_bp"])
    return envelope(document, att_id)
