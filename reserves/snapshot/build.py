"""Making the next attestation (format 4, or 5 with tiers) in the snapshot's transaction: what came before,
who signs, the extras.

Everything here reads the database through the caller's session, so the previous attestation,
the window and the proofs of control are those of the same transaction that stores the result.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from reserves.attestation import Built, Entries, Header, Inputs, ReserveSetRef, build, formats
from reserves.attestation.arithmetic import Policy
from reserves.attestation.keys import SigningKey
from reserves.attestation.members import window
from reserves.attestation.members.providers import ProvidersInput
from reserves.attestation.members.scope import ControlCounts
from reserves.attestation.members.signers import engine_keys
from reserves.attestation.members.tiers import TierInputs
from reserves.errors import SigningKeyError
from reserves.snapshot.context import SnapshotContext
from reserves.storage import documents
from reserves.storage import proofs_repository as prepo
from reserves.storage import repository as repo
from reserves.trust.keys import EngineKeys

log = logging.getLogger(__name__)
WINDOW_CHUNK = 2000


def policy_of(settings) -> Policy:
    p = settings.policy
    return Policy(
        warning_below_bp=p.warning_below_bp,
        count_locked=p.count_locked,
        hysteresis_bp=p.hysteresis_bp,
        window_blocks=p.window_blocks,
        flow_flag_bp=p.flow_flag_bp,
        recent_blocks=p.recent_blocks,
    )


def signing_keys(keys: EngineKeys, previous: dict | None) -> tuple[SigningKey, SigningKey | None]:
    """(engine key, key it replaces or None). A key that did not make the attestation before is
    accepted only as a rotation: the replaced key must be configured and must be that one."""
    engine = keys.engine
    if previous is None:
        return engine, None
    before = engine_keys(previous)
    if engine.pubkey_hex in before:
        return engine, None
    old = keys.previous
    if old is not None and old.pubkey_hex in before:
        return engine, old
    raise SigningKeyError(
        f"the engine key {engine.pubkey_hex[:16]}… did not sign sequence {previous['sequence']} "
        f"(signed by {', '.join(sorted(k[:16] + '…' for k in before))}): to rotate, configure the old key as "
        "signing.previous_key_file or signing.previous_key_env"
    )


async def earlier_rows(session, latest_sequence: int | None, tip: int | None, blocks: int) -> list[window.Earlier]:
    """The window's earlier attestations, newest first, read in chunks up to the boundary."""
    if latest_sequence is None or tip is None:
        return []
    low, _ = window.window_bounds(tip, blocks)
    out: list[window.Earlier] = []
    before = latest_sequence + 1
    while before > 0:
        rows = await repo.window_rows(session, before_sequence=before, limit=WINDOW_CHUNK)
        for seq, height, ratio in rows:
            out.append(window.Earlier(seq, height, ratio))
            if height is not None and height < low:
                return out
        if len(rows) < WINDOW_CHUNK:
            return out
        before = rows[-1][0]
    return out


async def control_counts(session, coin_addresses: set[str], max_age_seconds: int, issued: datetime) -> ControlCounts:
    """Proofs of control of the addresses holding counted coins, as of `issued`."""
    addresses = sorted(coin_addresses)
    newest = await prepo.latest_valid_per_address(session, addresses) if addresses else {}
    since = issued - timedelta(seconds=max_age_seconds)
    ages = [
        max(0, int((issued - repo.utc(p.proven_at)).total_seconds()))
        for p in newest.values()
        if since <= repo.utc(p.proven_at)
    ]
    return ControlCounts(len(addresses), len(ages), max_age_seconds, max(ages) if ages else None)


def previous_body(latest) -> dict | None:
    return None if latest is None else documents.body(latest)


async def build_next(
    session,
    ctx: SnapshotContext,
    header: Header,
    entries: Entries,
    reserve_set: ReserveSetRef,
    latest,
    previous: dict | None,
    issued: datetime,
    engine: SigningKey,
    replaced: SigningKey | None,
    tiers: TierInputs | None = None,
    providers: ProvidersInput | None = None,
) -> Built:
    """The body of `entries`, made by `engine` (replacing `replaced`, a rotation), with its id: format 5
    once tiers or providers are declared (or the chain reached it), else format 4 (formats.for_engine)."""
    policy = policy_of(ctx.settings)
    earlier = await earlier_rows(
        session, None if latest is None else latest.sequence, entries.tip, policy.window_blocks
    )
    control = await control_counts(session, entries.coin_addresses, ctx.settings.proofs.max_age_seconds, issued)
    return build(
        Inputs(
            header=header,
            policy=policy,
            entries=entries,
            reserve_set=reserve_set,
            previous=previous,
            earlier=earlier,
            control=control,
            engine=engine,
            guardians=ctx.guardians,
            rotation_from=replaced,
            rotation_reason=ctx.settings.signing.rotation_reason if replaced else None,
            statements=ctx.settings.scope.statements,
            tiers=tiers,
            providers=providers,
        ),
        formats.for_engine(previous, tiers is not None or providers is not None),
    )
