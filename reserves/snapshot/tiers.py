"""The tiers and locked contracts of one snapshot: the declared ones, and what the chain says of contract outpoints the
reading does not list (one look-up each, through the reserve source that declares the contract's wallet).

Runs after the sources are read and before the storing transaction (no chain call inside it). A
failed look-up, or an adapter that cannot look outpoints up, leaves the contract `unread`.
"""

from __future__ import annotations

import asyncio
import logging

from chains.base import OutpointReader
from chains.errors import ChainError
from reserves.attestation.members.contracts import ChainOutpoint, ContractDecl
from reserves.attestation.members.tiers import TierInputs
from reserves.settings.tiers import ContractSettings, TiersSettings
from reserves.snapshot.read import Outcome

log = logging.getLogger(__name__)


def declarations(tiers: TiersSettings, reserves: list[Outcome]) -> tuple[ContractDecl, ...]:
    """The declared contracts with their wallet's network (contracts of undeclared wallets are dropped:
    settings refuse them, so only a changed manifest could make one)."""
    networks = {w.name: o.source.settings.config.network for o in reserves for w in o.source.settings.config.wallets}
    return tuple(_decl(c, networks[c.wallet]) for c in tiers.contracts if c.wallet in networks)


def _decl(c: ContractSettings, network: str) -> ContractDecl:
    return ContractDecl(
        c.name, c.txid, c.vout, c.wallet, network, c.descriptor, c.index, c.amount_sat, c.unlock_kind, c.unlock_at
    )


def _listed(reserves: list[Outcome]) -> set[tuple[str, int]]:
    return {
        (u.txid, u.vout) for o in reserves if o.reading is not None for u in (*o.reading.utxos, *o.reading.uncounted)
    }


async def _ask(outcome: Outcome, txid: str, vout: int, timeout: float) -> ChainOutpoint:
    adapter = outcome.source.adapter
    if outcome.reading is None or not isinstance(adapter, OutpointReader):
        return ChainOutpoint("unread")
    try:
        answer = await asyncio.wait_for(adapter.read_outpoint(txid, vout), timeout)
    except (ChainError, TimeoutError) as exc:
        log.warning("contract outpoint %s:%d not read: %s", txid, vout, getattr(exc, "detail", type(exc).__name__))
        return ChainOutpoint("unread")
    return ChainOutpoint(answer.state, answer.value_sat)


async def tier_inputs(tiers: TiersSettings, reserves: list[Outcome], timeout: float) -> TierInputs | None:
    """What the `tiers` member is built from; None when no tiers are declared."""
    if not tiers.declared:
        return None
    contracts = declarations(tiers, reserves)
    listed = _listed(reserves)
    holder = {w.name: o for o in reserves for w in o.source.settings.config.wallets}
    asks = [c for c in contracts if (c.txid, c.vout) not in listed]
    answers = await asyncio.gather(*(_ask(holder[c.wallet], c.txid, c.vout, timeout) for c in asks))
    chain = {(c.txid, c.vout): a for c, a in zip(asks, answers)}
    return TierInputs(tiers.tiers, contracts, chain)
