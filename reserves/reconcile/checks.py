"""The checks of one pass: a mint against its deposit, burns against release payments, over Esplora."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TypedDict

from chains.bitcoin.esplora.reconcile_reads import ReconcileEsplora
from chains.bitcoin.wallets import WalletSpec
from chains.errors import ChainError, ChainUnavailable
from reserves.errors import InvalidInput
from reserves.reconcile import rules as r
from reserves.reconcile.claims import Claim

# Descriptor children searched for an address (per branch); a deposit beyond is not recognised.
MAX_LOCATE_INDEX = 1000


@dataclass(frozen=True)
class Outcome:
    """What a check concluded about one claim (the item's status columns)."""

    status: str
    reason: str | None = None
    detail: str = ""
    btc_txid: str | None = None
    btc_vout: int | None = None
    btc_address: str | None = None
    value_sat: int | None = None
    expected: int | None = None
    actual: int | None = None
    confirmations: int | None = None
    age_blocks: int | None = None


class _Found(TypedDict, total=False):
    """The Outcome fields a check fills in as it reads the output a claim names."""

    btc_txid: str
    btc_vout: int
    btc_address: str | None
    value_sat: int
    confirmations: int


class ReserveMembership:
    """Whether an address is declared by a reserve wallet (address lists directly; descriptors by
    derivation up to MAX_LOCATE_INDEX children per branch, cached by the wallets themselves)."""

    def __init__(self, wallets: Iterable[WalletSpec]) -> None:
        self.wallets = list(wallets)
        self._known: dict[str, bool] = {}

    async def contains(self, address: str | None) -> bool:
        if address is None:
            return False
        if address not in self._known:
            self._known[address] = await asyncio.to_thread(self._locate, address)
        return self._known[address]

    def _locate(self, address: str) -> bool:
        return any(w.locate(address, max_index=MAX_LOCATE_INDEX) is not None for w in self.wallets)


@dataclass
class Context:
    """One pass's view of Bitcoin: the reader (None when no reserve source is read through Esplora),
    its tip, the reserve set, the fee schedule and the depth a deposit or release needs."""

    reader: ReconcileEsplora | None
    network: str
    membership: ReserveMembership
    fees: r.Fees
    min_confirmations: int
    deadline_blocks: int
    tip_height: int | None = None
    unavailable: str | None = None  # why Bitcoin could not be read this pass
    used_outputs: set[tuple[str, int]] = field(default_factory=set)

    def depth(self, height: int | None) -> int:
        return 0 if height is None or self.tip_height is None else max(0, self.tip_height - height + 1)

    def esplora(self) -> ReconcileEsplora:
        """The reader; ChainUnavailable without one (callers check `reader` first and wait instead)."""
        if self.reader is None:
            raise ChainUnavailable("no reserve source is read through Esplora")
        return self.reader


def _pending(reason: str, detail: str, **kw) -> Outcome:
    return Outcome("pending", reason, detail, **kw)


def _unreconciled(reason: str, detail: str, **kw) -> Outcome:
    return Outcome("unreconciled", reason, detail, **kw)


async def check_mint(
    claim: Claim, deposit: tuple[str, int] | None, decimals: int | None, ctx: Context, earlier: Claim | None
) -> Outcome:
    """The status of a mint claiming `deposit`; `earlier` is a mint that claimed the same deposit first."""
    if deposit is None:
        return _unreconciled(r.NO_DEPOSIT_LINK, "the mint names no Bitcoin deposit and no operator link exists")
    txid, vout = deposit
    at: _Found = {"btc_txid": txid, "btc_vout": vout}
    if ctx.reader is None or ctx.unavailable:
        reason = r.NO_ESPLORA_SOURCE if ctx.reader is None else r.BITCOIN_UNAVAILABLE
        return _pending(reason, ctx.unavailable or "no reserve source is read through Esplora", **at)
    try:
        tx = await ctx.reader.find_tx(txid)
    except ChainError as exc:
        return _pending(r.BITCOIN_UNAVAILABLE, exc.detail[:300], **at)
    if tx is None:
        return _unreconciled(r.DEPOSIT_NOT_FOUND, f"Bitcoin transaction {txid} is unknown to Esplora", **at)
    if vout >= len(tx.outputs):
        return _unreconciled(
            r.OUTPUT_NOT_FOUND, f"transaction {txid} has {len(tx.outputs)} outputs, no output {vout}", **at
        )
    out = tx.outputs[vout]
    confirmations = ctx.depth(tx.status.height)
    at |= {"btc_address": out.address, "value_sat": out.value_sat, "confirmations": confirmations}
    if not await ctx.membership.contains(out.address):
        return _unreconciled(
            r.NOT_RESERVE_ADDRESS,
            f"output {vout} pays {out.address or 'a non-standard script'}, not a declared reserve address",
            **at,
        )
    try:
        internal = await from_reserve(ctx, tx.inputs)
    except ChainError as exc:
        return _pending(r.BITCOIN_UNAVAILABLE, exc.detail[:300], **at)
    if internal:
        # A consolidation or a release's change: the reserve paid itself, no new BTC came in.
        return _unreconciled(
            r.DEPOSIT_FROM_RESERVE,
            f"transaction {txid} spends reserve outputs: a move inside the reserve, not a deposit",
            **at,
        )
    if earlier is not None:
        return _unreconciled(
            r.DEPOSIT_REUSED,
            f"deposit {txid}:{vout} already backs the mint in {earlier.tx_hash} "
            f"(log {earlier.log_index}) on {earlier.deployment}",
            **at,
        )
    if decimals is None:
        return _pending(r.DECIMALS_UNKNOWN, "the deployment's decimals are not known yet", **at)
    try:
        expected = r.expected_mint(out.value_sat, ctx.fees, decimals)
    except InvalidInput as exc:
        return _unreconciled(r.FEE_NOT_REPRESENTABLE, exc.detail, **at)
    if claim.amount != expected:
        return _unreconciled(
            r.AMOUNT_MISMATCH,
            f"minted {claim.amount} units; the deposit of {out.value_sat} sat net of fee entitles to {expected}",
            expected=expected,
            actual=claim.amount,
            **at,
        )
    if confirmations < ctx.min_confirmations:
        return _pending(r.SHALLOW, f"deposit has {confirmations} of {ctx.min_confirmations} confirmations", **at)
    return Outcome("reconciled", None, f"deposit {txid}:{vout} of {out.value_sat} sat", **at)


async def from_reserve(ctx: Context, inputs: tuple[tuple[str, int], ...]) -> bool:
    """Whether at least one of `inputs` spends an output paying a declared reserve address."""
    for address in await ctx.esplora().spent_addresses(inputs):
        if await ctx.membership.contains(address):
            return True
    return False


def awaiting(ctx: Context, first_seen_height: int | None, detail: str, **kw) -> Outcome:
    """awaiting_release, or unreleased once the burn has waited more than the deadline (in Bitcoin blocks)."""
    age = None if first_seen_height is None or ctx.tip_height is None else max(0, ctx.tip_height - first_seen_height)
    if age is not None and age > ctx.deadline_blocks:
        return Outcome(
            "unreleased",
            r.RELEASE_DEADLINE_PASSED,
            f"no release after {age} Bitcoin blocks (deadline {ctx.deadline_blocks}); {detail}",
            age_blocks=age,
            **kw,
        )
    return Outcome("awaiting_release", None, detail, age_blocks=age, **kw)


async def check_linked_release(
    claim: Claim, link: tuple[str, int], need_sat: int, ctx: Context, first_seen: int | None
) -> Outcome:
    """A burn whose release output an operator named: it must exist, be confirmed, pay enough and
    spend from the reserve, and not release another burn already."""
    txid, vout = link
    at: _Found = {"btc_txid": txid, "btc_vout": vout}
    tx = await ctx.esplora().find_tx(txid)
    if tx is None or vout >= len(tx.outputs):
        return Outcome("unreleased", r.RELEASE_INVALID, f"linked output {txid}:{vout} does not exist", **at)
    out = tx.outputs[vout]
    confirmations = ctx.depth(tx.status.height)
    at |= {"btc_address": out.address, "value_sat": out.value_sat, "confirmations": confirmations}
    if out.value_sat < need_sat:
        return Outcome(
            "unreleased",
            r.RELEASE_INVALID,
            f"linked output pays {out.value_sat} sat, at least {need_sat} are owed",
            **at,
        )
    if (txid, vout) in ctx.used_outputs:
        return Outcome("unreleased", r.RELEASE_INVALID, "linked output already releases another burn", **at)
    if await ctx.membership.contains(out.address):
        return Outcome(
            "unreleased",
            r.RELEASE_INVALID,
            "linked output pays a reserve address: the BTC never left the reserve",
            **at,
        )
    if not await from_reserve(ctx, tx.inputs):
        return Outcome("unreleased", r.RELEASE_INVALID, "linked transaction spends no reserve output", **at)
    ctx.used_outputs.add((txid, vout))
    if confirmations < ctx.min_confirmations:
        return awaiting(ctx, first_seen, f"release has {confirmations} of {ctx.min_confirmations} confirmations", **at)
    return Outcome("released", None, f"released by {txid}:{vout} ({out.value_sat} sat)", **at)


async def match_releases(ctx: Context, address: str, burns: list[tuple[Claim, int, int | None]]) -> dict:
    """Assign release payments to the burns owed at `address` (oldest burn first).

    `burns` are (claim, sats needed, first-seen height) in age order. Each qualifying output (confirmed,
    paying enough, spending at least one reserve output, not already used) releases at most one burn:
    the smallest that covers it, the oldest on a tie. Returns claim key -> Outcome. A reserve address
    is never released to: every consolidation or change output would otherwise count as a release.
    """
    if await ctx.membership.contains(address):
        return {
            c.key: Outcome(
                "unreleased",
                r.RESERVE_ADDRESS,
                f"{address} is a reserve address: paying it releases nothing (the BTC never leaves the reserve)",
                btc_address=address,
            )
            for c, _, _ in burns
        }
    try:
        payments = [p for p in await ctx.esplora().payments_to(address) if (p.txid, p.vout) not in ctx.used_outputs]
        qualified = [p for p in payments if await from_reserve(ctx, p.inputs)]
    except ChainError as exc:
        reason = r.HISTORY_TOO_LONG if "transactions for one address" in exc.detail else r.BITCOIN_UNAVAILABLE
        out = {}
        for c, _, seen in burns:
            waiting = awaiting(ctx, seen, exc.detail[:300], btc_address=address)
            out[c.key] = replace(waiting, reason=reason) if waiting.status == "awaiting_release" else waiting
        return out
    out = {}
    for claim, need, seen in burns:
        fits = [p for p in qualified if p.value_sat >= need]
        if not fits:
            out[claim.key] = awaiting(
                ctx, seen, f"no release of at least {need} sat to {address} yet", btc_address=address
            )
            continue
        best = min(fits, key=lambda p: (p.value_sat, p.height, p.txid, p.vout))
        qualified.remove(best)
        ctx.used_outputs.add((best.txid, best.vout))
        out[claim.key] = _released(ctx, seen, address, best)
    return out


def _released(ctx: Context, seen: int | None, address: str, p) -> Outcome:
    at = dict(
        btc_txid=p.txid, btc_vout=p.vout, btc_address=address, value_sat=p.value_sat, confirmations=ctx.depth(p.height)
    )
    if at["confirmations"] < ctx.min_confirmations:
        return awaiting(
            ctx, seen, f"release {p.txid} has {at['confirmations']} of {ctx.min_confirmations} confirmations", **at
        )
    return Outcome("released", None, f"released by {p.txid}:{p.vout} ({p.value_sat} sat)", **at)
