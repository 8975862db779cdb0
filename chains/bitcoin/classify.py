"""From raw outputs per wallet to counted and uncounted UTXOs: dedupe by outpoint, coinbase, time locks."""

from __future__ import annotations

from dataclasses import dataclass

from chains.base import COINBASE_MATURITY, DuplicateOutpoint, Utxo
from chains.bitcoin.wallets import WalletSpec


@dataclass(frozen=True)
class Hit:
    """One output a backend reported for an address of a declared wallet (value in sats)."""

    wallet: WalletSpec
    address: str
    txid: str
    vout: int
    value_sat: int
    height: int | None
    block_hash: str | None


def dedupe(hits: list[Hit]) -> tuple[list[Hit], tuple[DuplicateOutpoint, ...]]:
    """Each outpoint once, under the wallet declared first (`hits` are in declaration order), and
    the outpoints more than one wallet covers. A wallet listing an address twice is no duplicate."""
    first: dict[tuple[str, int], Hit] = {}
    covering: dict[tuple[str, int], list[str]] = {}
    for hit in hits:
        key = (hit.txid, hit.vout)
        first.setdefault(key, hit)
        names = covering.setdefault(key, [])
        if hit.wallet.name not in names:
            names.append(hit.wallet.name)
    duplicates = tuple(
        DuplicateOutpoint(txid, vout, tuple(names))
        for (txid, vout), names in sorted(covering.items())
        if len(names) > 1
    )
    return list(first.values()), duplicates


def confirmations(height: int | None, tip_height: int) -> int:
    """Confirmations at the tip; 0 when unconfirmed or "confirmed" above the tip we anchored on
    (mined after the tip was read, or an inconsistent server): such an output never counts."""
    if height is None or height > tip_height:
        return 0
    return tip_height - height + 1


def needs_coinbase_check(hit: Hit, tip_height: int) -> bool:
    """Only confirmed outputs younger than COINBASE_MATURITY can be immature coinbases."""
    return 0 < confirmations(hit.height, tip_height) < COINBASE_MATURITY


def to_utxo(
    hit: Hit, tip_height: int, tip_median_time: int | None, *, coinbase: bool, utxo_median_time: int | None
) -> Utxo:
    """The Utxo of `hit` at the tip, with its wallet, coinbase flag and time lock (if any path is closed)."""
    conf = confirmations(hit.height, tip_height)
    height = hit.height if conf > 0 else None
    lock = hit.wallet.lock_at(hit.address, height, tip_height, tip_median_time, utxo_median_time=utxo_median_time)
    return Utxo(
        txid=hit.txid,
        vout=hit.vout,
        value_sat=hit.value_sat,
        address=hit.address,
        height=hit.height,
        confirmations=conf,
        wallet=hit.wallet.name,
        coinbase=coinbase,
        lock=lock,
    )


def split(utxos: list[Utxo], min_confirmations: int) -> tuple[list[Utxo], list[Utxo]]:
    """(counted, uncounted), each ordered by height (unconfirmed first), txid, vout."""
    counted = [u for u in utxos if u.uncounted_reason(min_confirmations) is None]
    uncounted = [u for u in utxos if u.uncounted_reason(min_confirmations) is not None]
    return sorted(counted, key=_order), sorted(uncounted, key=_order)


def _order(u: Utxo) -> tuple[int, str, int]:
    return (u.height if u.height is not None else -1, u.txid, u.vout)
