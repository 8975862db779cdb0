"""One reconciliation pass: claims from the token logs, checked against Bitcoin (bounded), stored as items."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from chains.bitcoin.descriptors import normalize_address
from chains.bitcoin.esplora.reconcile_reads import ReconcileEsplora
from chains.errors import ChainConfigError, ChainError
from reserves.reconcile import checks as ck
from reserves.reconcile import repository as repo
from reserves.reconcile import rules as r
from reserves.reconcile.claims import Claim, Key, build_claims
from reserves.storage import documents
from reserves.storage import events as events_repo
from reserves.storage import repository as core_repo
from reserves.storage.db import Database
from reserves.storage.reconcile_models import ReconcileItemRow

log = logging.getLogger(__name__)

# Work of one pass: claims checked over HTTP, and burn addresses whose history is read.
MAX_CHECKS_PER_PASS = 200
MAX_ADDRESSES_PER_PASS = 20
# Reasons that depend only on the deposit transaction's content (a txid commits to its outputs).
FINAL_REASONS = (
    r.OUTPUT_NOT_FOUND,
    r.NOT_RESERVE_ADDRESS,
    r.AMOUNT_MISMATCH,
    r.FEE_NOT_REPRESENTABLE,
    r.DEPOSIT_FROM_RESERVE,
)


@dataclass(frozen=True)
class DeploymentInfo:
    """A native deployment: its CAIP-2 chain id and token decimals (None: not declared)."""

    chain_id: str
    decimals: int | None


@dataclass(frozen=True)
class Setup:
    """What a pass needs from the configuration (reserves.jobs.reconcile.build_setup)."""

    deployments: dict[str, DeploymentInfo]
    esplora_url: str | None
    network: str
    wallets: tuple = ()
    fees: r.Fees = r.Fees()
    min_confirmations: int = 6
    deadline_blocks: int = r.RELEASE_DEADLINE_BLOCKS
    client_options: dict[str, Any] = field(default_factory=dict)


def item_key(row: ReconcileItemRow) -> Key:
    return (row.deployment, row.block_number, row.log_index)


async def reconcile_pass(
    db: Database,
    setup: Setup,
    *,
    now: datetime | None = None,
    max_checks: int = MAX_CHECKS_PER_PASS,
    max_addresses: int = MAX_ADDRESSES_PER_PASS,
) -> dict:
    """Recompute every item from the stored token logs; returns {status: count} of the stored items.

    Bitcoin is read for at most `max_checks` claims and `max_addresses` burn addresses (new or changed
    claims first, then the least recently checked unsettled ones); the others keep their last result.
    Items whose log is gone (a reorg) are deleted. Idempotent: a second pass over the same data and
    the same chain stores the same items.
    """
    now = now or datetime.now(timezone.utc)
    async with db.sessions() as session:
        claims = build_claims(await repo.supply_rows(session, list(setup.deployments)))
        items = {item_key(i): i for i in await repo.all_items(session)}
        links = {(k.deployment, k.tx_hash, k.log_index): k for k in await repo.all_links(session)}
        decimals = await _decimals(session, setup)
    reader = ReconcileEsplora(setup.esplora_url, **setup.client_options) if setup.esplora_url else None
    ctx = ck.Context(
        reader,
        setup.network,
        ck.ReserveMembership(setup.wallets),
        setup.fees,
        setup.min_confirmations,
        setup.deadline_blocks,
    )
    try:
        await _read_tip(ctx)
        order = sorted(claims, key=lambda c: (_seen_at(items.get(c.key), now), c.key))
        plans = {c.key: _plan(c, links, setup.network) for c in claims}
        budget = _Budget(max_checks, max_addresses)
        outcomes = await _mints(order, items, plans, decimals, ctx, budget)
        outcomes.update(await _burns(order, items, plans, decimals, ctx, budget))
    finally:
        if reader is not None:
            await reader.aclose()
    async with db.sessions() as session:
        return await _store(session, setup, claims, plans, outcomes, ctx.tip_height, now)


@dataclass
class _Budget:
    checks: int
    addresses: int


def _seen_at(item: ReconcileItemRow | None, now: datetime) -> datetime:
    return now if item is None else core_repo.utc(item.first_seen_at)


async def _read_tip(ctx: ck.Context) -> None:
    if ctx.reader is None:
        return
    try:
        ctx.tip_height = await ctx.reader.tip_height()
    except ChainError as exc:
        ctx.unavailable = exc.detail[:300]


async def _decimals(session, setup: Setup) -> dict[str, int | None]:
    """Declared decimals, else those the latest attestation read on chain (None when neither)."""
    out = {name: info.decimals for name, info in setup.deployments.items()}
    if all(v is not None for v in out.values()):
        return out
    latest = await core_repo.latest_attestation(session)
    try:
        entries = documents.document(latest)["supply"]["deployments"] if latest else []
        for entry in entries:
            value = entry.get("decimals")
            if out.get(entry.get("name"), 0) is None and isinstance(value, int) and not isinstance(value, bool):
                out[entry["name"]] = value
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("reconciliation: the latest attestation's deployments could not be read for decimals")
    return out


@dataclass(frozen=True)
class _Plan:
    """A claim's target (mint: deposit outpoint; burn: owed address or linked release outpoint), the
    link it came from, the check's basis, and the outcome when no Bitcoin read can change it."""

    target: Any
    link: Any
    basis: str
    early: ck.Outcome | None = None


def _plan(c: Claim, links: dict, network: str) -> _Plan:
    link = None if c.has_data else links.get(c.link_key)
    early: ck.Outcome | None = None
    target: tuple[str, int] | str | None = None  # deposit or release outpoint, or the owed address
    if c.kind == "mint":
        if c.has_data:
            if c.deposit_txid is not None and c.deposit_vout is not None:
                target = (c.deposit_txid.lower(), c.deposit_vout)
        elif link is not None:
            target = (link.btc_txid, link.vout)
        if target is None:
            early = ck.Outcome(
                "unreconciled", r.NO_DEPOSIT_LINK, "the mint names no Bitcoin deposit and no operator link exists"
            )
    elif not c.has_data:
        target = None if link is None else (link.btc_txid, link.vout)
        if link is None:
            early = ck.Outcome(
                "unreleased", r.NO_RELEASE_ADDRESS, "the burn names no Bitcoin address and no operator link exists"
            )
    else:
        try:
            target = normalize_address((c.btc_address or "").strip(), network)
        except ChainConfigError as exc:
            early = ck.Outcome("unreleased", r.INVALID_ADDRESS, f"{(c.btc_address or '')[:100]!r}: {exc.detail}")
    basis = f"{c.block_hash}|{target}|{getattr(link, 'id', None)}"[:300]
    return _Plan(target, link, basis, early)


def _needs_check(item: ReconcileItemRow | None, plan: _Plan) -> bool:
    if plan.early is not None:
        return False
    if item is None or item.basis != plan.basis:
        return True
    return not (item.status in r.SETTLED or item.reason in FINAL_REASONS)


def _priority(items: dict, claims: list[Claim], plans: dict[Key, _Plan]) -> list[Claim]:
    """New or changed claims first (in claim order), then the least recently checked."""

    def rank(c: Claim) -> tuple[int, float]:
        item = items.get(c.key)
        if item is None or item.basis != plans[c.key].basis or item.checked_at is None:
            return (0, 0.0)  # new or changed
        return (1, core_repo.utc(item.checked_at).timestamp())

    return sorted(claims, key=rank)


async def _mints(order, items, plans, decimals, ctx, budget) -> dict[Key, ck.Outcome]:
    mints = [c for c in order if c.kind == "mint"]
    due = _priority(items, [c for c in mints if _needs_check(items.get(c.key), plans[c.key])], plans)
    due_keys = {c.key for c in due[: budget.checks]}
    budget.checks -= len(due_keys)
    holder: dict[tuple[str, int], Claim] = {}
    outcomes: dict[Key, ck.Outcome] = {}
    for c in mints:
        plan = plans[c.key]
        if plan.early is not None:
            outcomes[c.key] = plan.early
            continue
        first = holder.setdefault(plan.target, c)
        # A settled mint found behind an earlier claim of its deposit is checked again (flagged).
        stale = first is not c and c.key in items and items[c.key].status in r.SETTLED
        if c.key in due_keys or stale:
            earlier = None if first is c else first
            outcomes[c.key] = await ck.check_mint(c, plan.target, decimals.get(c.deployment), ctx, earlier)
    return outcomes


async def _burns(order, items, plans, decimals, ctx, budget) -> dict[Key, ck.Outcome]:
    outcomes: dict[Key, ck.Outcome] = {}
    by_address: dict[str, list[Claim]] = {}
    linked: list[Claim] = []
    for c in (c for c in order if c.kind == "burn"):
        plan, item = plans[c.key], items.get(c.key)
        if plan.early is not None:
            outcomes[c.key] = plan.early
        elif not _needs_check(item, plan):
            if item.btc_txid is not None and item.btc_vout is not None:
                ctx.used_outputs.add((item.btc_txid, item.btc_vout))
        elif ctx.reader is None or ctx.unavailable or decimals.get(c.deployment) is None:
            outcomes[c.key] = _burn_waiting(c, ctx)
        elif isinstance(plan.target, tuple):
            linked.append(c)
        else:
            by_address.setdefault(plan.target, []).append(c)
    for c in linked[: max(0, budget.checks)]:
        outcomes[c.key] = await _linked(c, plans[c.key].link, items.get(c.key), decimals, ctx)
    for address in list(by_address)[: budget.addresses]:
        group = [
            (c, r.min_release_sat(c.amount, decimals[c.deployment], ctx.fees), _seen(items.get(c.key), ctx))
            for c in by_address[address]
        ]
        outcomes.update(await ck.match_releases(ctx, address, group))
    return outcomes


def _seen(item: ReconcileItemRow | None, ctx: ck.Context) -> int | None:
    if item is not None and item.first_seen_height is not None:
        return item.first_seen_height
    return ctx.tip_height


def _burn_waiting(c: Claim, ctx: ck.Context) -> ck.Outcome:
    if ctx.reader is None:
        reason, detail = r.NO_ESPLORA_SOURCE, "no reserve source is read through Esplora"
    elif ctx.unavailable:
        reason, detail = r.BITCOIN_UNAVAILABLE, ctx.unavailable
    else:
        reason, detail = r.DECIMALS_UNKNOWN, "the deployment's decimals are not known yet"
    return ck.Outcome("awaiting_release", reason, detail, btc_address=c.btc_address if c.has_data else None)


async def _linked(c: Claim, link, item, decimals, ctx: ck.Context) -> ck.Outcome:
    need = r.min_release_sat(c.amount, decimals[c.deployment], ctx.fees)
    try:
        return await ck.check_linked_release(c, (link.btc_txid, link.vout), need, ctx, _seen(item, ctx))
    except ChainError as exc:
        return ck.Outcome(
            "awaiting_release", r.BITCOIN_UNAVAILABLE, exc.detail[:300], btc_txid=link.btc_txid, btc_vout=link.vout
        )


async def _store(
    session,
    setup: Setup,
    claims: list[Claim],
    plans: dict[Key, _Plan],
    outcomes: dict[Key, ck.Outcome],
    tip: int | None,
    now: datetime,
) -> dict:
    existing = {item_key(i): i for i in await repo.all_items(session)}
    live = {c.key for c in claims}
    for key, gone in existing.items():
        if key not in live:
            await session.delete(gone)
    counts: dict[str, int] = {}
    for c in claims:
        row = existing.get(c.key)
        if row is None:
            status = "pending" if c.kind == "mint" else "awaiting_release"
            row = ReconcileItemRow(
                deployment=c.deployment,
                block_number=c.block_number,
                log_index=c.log_index,
                kind=c.kind,
                chain_id=setup.deployments[c.deployment].chain_id,
                tx_hash=c.tx_hash,
                block_hash=c.block_hash,
                amount=c.amount,
                first_seen_at=now,
                first_seen_height=tip,
                status=status,
                detail="queued: checked in a later pass",
            )
        if row.first_seen_height is None:
            row.first_seen_height = tip
        if c.key in outcomes:
            before = row.status
            _apply(row, c, outcomes[c.key], plans[c.key], now)
            if row.status in EXCEPTIONS and row.status != before:
                await _exception_event(session, row, now)
        session.add(row)
        counts[row.status] = counts.get(row.status, 0) + 1
    await session.commit()
    return counts


# An item that turned into one of these is a `reconciliation_exception` event (written with it).
EXCEPTIONS = ("unreconciled", "unreleased")


async def _exception_event(session, row: ReconcileItemRow, now: datetime) -> None:
    await events_repo.add(
        session,
        kind="reconciliation_exception",
        at=now,
        payload={
            "deployment": row.deployment,
            "kind": row.kind,
            "status": row.status,
            "reason": row.reason,
            "detail": row.detail,
            "tx_hash": row.tx_hash,
            "log_index": row.log_index,
            "block_number": row.block_number,
            "amount": str(row.amount),
        },
    )


def _apply(row: ReconcileItemRow, c: Claim, o: ck.Outcome, plan: _Plan, now: datetime) -> None:
    row.tx_hash, row.block_hash, row.amount, row.kind = c.tx_hash, c.block_hash, c.amount, c.kind
    row.status, row.reason, row.detail = o.status, o.reason, o.detail[:500]
    row.btc_txid, row.btc_vout = o.btc_txid, o.btc_vout
    row.btc_address = o.btc_address[:200] if o.btc_address else None
    row.value_sat, row.expected, row.actual = o.value_sat, o.expected, o.actual
    row.confirmations, row.age_blocks = o.confirmations, o.age_blocks
    row.link_id = getattr(plan.link, "id", None)
    row.checked_at, row.basis = now, plan.basis
