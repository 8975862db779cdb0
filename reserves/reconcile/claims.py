"""Mints and burns to reconcile, made from the monitor's token logs: a Transfer from/to 0x0 paired with its Mint/Burn
log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reserves.storage.supply_models import ZERO_ADDRESS

Key = tuple[str, int, int]  # (deployment, block_number, log_index)


@dataclass(frozen=True)
class Claim:
    """One mint or burn. Keyed by its Transfer log (or by its Mint/Burn log when the token emitted no
    Transfer for it). `has_data` says a Mint/Burn log was paired: a mint then names its deposit
    (`deposit_txid`, `deposit_vout`; None when the log carried none), a burn its `btc_address`.
    `amount` is in raw token units."""

    kind: str
    deployment: str
    block_number: int
    log_index: int
    block_hash: str
    tx_hash: str
    amount: int
    has_data: bool = False
    deposit_txid: str | None = None
    deposit_vout: int | None = None
    btc_address: str | None = None

    @property
    def key(self) -> Key:
        return (self.deployment, self.block_number, self.log_index)

    @property
    def link_key(self) -> tuple[str, str, int]:
        """How an operator link names this claim: deployment, token tx hash, Transfer log index."""
        return (self.deployment, self.tx_hash, self.log_index)


def build_claims(rows: Iterable) -> list[Claim]:
    """Claims from `supply_event` rows (any order, any deployments), in (deployment, block, log) order.

    Within one transaction each Mint (Burn) log pairs with the nearest earlier unpaired Transfer from
    (to) 0x0 of the same amount and account, as ReserveToken emits them; a Transfer left unpaired is a
    claim without data, a Mint/Burn log left unpaired a claim of its own. Transfers from 0x0 to 0x0
    change no supply and are skipped.
    """
    by_tx: dict[tuple[str, str], list] = {}
    for row in rows:
        by_tx.setdefault((row.deployment, row.tx_hash), []).append(row)
    claims: list[Claim] = []
    for group in by_tx.values():
        group.sort(key=lambda r: (r.block_number, r.log_index))
        claims += _pair(group, "mint", lambda r: r.from_address == ZERO_ADDRESS != r.to_address, "to_address")
        claims += _pair(group, "burn", lambda r: r.to_address == ZERO_ADDRESS != r.from_address, "from_address")
    claims.sort(key=lambda c: c.key)
    return claims


def _pair(group: list, kind: str, is_transfer, account: str) -> list[Claim]:
    transfers = [r for r in group if r.kind == "transfer" and is_transfer(r)]
    events = [r for r in group if r.kind == kind]
    paired: dict[int, object] = {}  # id(transfer row) -> its Mint/Burn row
    lone_events = []
    for event in events:
        match = None
        for t in reversed(transfers):
            before = (t.block_number, t.log_index) < (event.block_number, event.log_index)
            same = t.amount == event.amount and _same_account(getattr(event, account), getattr(t, account))
            if before and same and id(t) not in paired:
                match = t
                break
        if match is None:
            lone_events.append(event)
        else:
            paired[id(match)] = event
    out = [_claim(kind, t, paired.get(id(t))) for t in transfers]
    return out + [_claim(kind, e, e) for e in lone_events]


def _same_account(event_account: str | None, transfer_account: str | None) -> bool:
    # The monitor may leave the Mint/Burn row's account empty; then only tx and amount pair them.
    return event_account is None or event_account == transfer_account


def _claim(kind: str, row, data) -> Claim:
    return Claim(
        kind=kind,
        deployment=row.deployment,
        block_number=row.block_number,
        log_index=row.log_index,
        block_hash=row.block_hash,
        tx_hash=row.tx_hash,
        amount=row.amount,
        has_data=data is not None,
        deposit_txid=getattr(data, "deposit_txid", None) if kind == "mint" else None,
        deposit_vout=getattr(data, "deposit_vout", None) if kind == "mint" else None,
        btc_address=getattr(data, "btc_address", None) if kind == "burn" else None,
    )
