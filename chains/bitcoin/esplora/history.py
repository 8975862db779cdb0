"""Point-in-time reserves: which outputs of the declared wallets were unspent at a past height H."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from embit.script import address_to_scriptpubkey

from chains.base import BlockRef, DuplicateOutpoint, ReserveReading, Utxo
from chains.bitcoin.esplora.client import EsploraClient, EsploraTx
from chains.bitcoin.scan import gather
from chains.bitcoin.wallets import WalletSpec
from chains.errors import ChainDataError, ChainError

MAX_HEIGHT = 2**31  # far beyond any Bitcoin height; larger asks are a caller's mistake


class HeightOutOfRange(ChainError):
    """The height asked for is negative, not an integer, above 2**31, or above the server's tip."""

    code = "height_out_of_range"


@dataclass(frozen=True)
class _Created:
    """An output paying a declared address, confirmed at `height` <= H."""

    wallet: WalletSpec
    address: str
    txid: str
    vout: int
    value_sat: int
    height: int
    block_hash: str
    coinbase: bool


async def reserves_at(
    client: EsploraClient,
    height: int,
    wallets: Sequence[tuple[WalletSpec, Sequence[str]]],
    *,
    source: str,
    chain_id: str,
    min_confirmations: int,
    addresses_scanned: int,
) -> ReserveReading:
    """The reserves of `wallets` (each with the addresses to read) as they stood at block `height`.

    An outpoint counts at H when its transaction confirmed at height h <= H with H - h + 1 >=
    `min_confirmations` (coinbases: COINBASE_MATURITY), and no transaction confirmed at or below H
    spends it. Creation comes from each address's paged history, spending from `/tx/:txid/outspends`,
    cross-checked with the inputs of the same history; every block claimed at or below H must be the
    server's best-chain block at its height, and the block at H must be unchanged when the read
    ends. Nothing is rewound: later blocks are simply ignored. Locks are judged at H.
    """
    block = await _block_at(client, height)
    pairs = [(wallet, address) for wallet, addresses in wallets for address in addresses]
    distinct = list(dict.fromkeys(address for _, address in pairs))
    by_address = dict(zip(distinct, await gather([client.address_txs(address) for address in distinct])))
    histories = [by_address[address] for _, address in pairs]
    created, duplicates = _created_outputs(pairs, histories, height)
    spent = await _spent_at(client, created, histories, height)
    claims = {(c.height, c.block_hash) for c in created} | set(spent.values())
    await _check_best_chain(client, claims)
    utxos = [
        await _to_utxo(client, c, block.height, block.median_time) for c in created if (c.txid, c.vout) not in spent
    ]
    if await client.block_hash_at(height) != block.hash:
        raise ChainDataError(f"block at height {height} changed during the read (reorg); no reading")
    counted = [u for u in utxos if u.uncounted_reason(min_confirmations) is None]
    uncounted = [u for u in utxos if u.uncounted_reason(min_confirmations) is not None]
    return ReserveReading(
        source=source,
        block=BlockRef(chain_id, block.height, block.hash, datetime.fromtimestamp(block.timestamp, tz=timezone.utc)),
        min_confirmations=min_confirmations,
        utxos=tuple(counted),
        total_sat=sum(u.value_sat for u in counted),
        addresses_scanned=addresses_scanned,
        uncounted=tuple(uncounted),
        duplicates=tuple(duplicates),
        median_time=block.median_time,
    )


def check_height(height: object) -> int:
    """`height` when it is an integer in [0, 2**31]; HeightOutOfRange otherwise."""
    if isinstance(height, bool) or not isinstance(height, int) or not 0 <= height <= MAX_HEIGHT:
        raise HeightOutOfRange(f"height must be an integer in [0, {MAX_HEIGHT}], got {height!r}")
    return height


async def _block_at(client: EsploraClient, height: int):
    height = check_height(height)
    tip = await client.block(await client.tip_hash())
    if height > tip.height:
        raise HeightOutOfRange(f"height {height} is above the server's tip at {tip.height}")
    block = await client.block(await client.block_hash_at(height))
    if block.height != height:
        raise ChainDataError(f"/block-height/{height} named a block at height {block.height}")
    return block


def _created_outputs(
    pairs: list[tuple[WalletSpec, str]], histories: list[list[EsploraTx]], height: int
) -> tuple[list[_Created], list[DuplicateOutpoint]]:
    """Outputs paying each address, confirmed at or below `height`; deduplicated by outpoint (the
    first wallet keeps it; an outpoint under two wallets is reported once with all of them)."""
    found: dict[tuple[str, int], _Created] = {}
    owners: dict[tuple[str, int], list[str]] = {}
    for (wallet, address), history in zip(pairs, histories):
        script = address_to_scriptpubkey(address).data.hex()
        for tx in history:
            mined_at, block_hash = tx.status.height, tx.status.block_hash
            if not tx.status.confirmed or mined_at is None or block_hash is None or mined_at > height:
                continue
            for vout, out in enumerate(tx.outputs):
                if out.script_pubkey != script:
                    continue
                point = (tx.txid, vout)
                names = owners.setdefault(point, [])
                if wallet.name not in names:
                    names.append(wallet.name)
                found.setdefault(
                    point,
                    _Created(
                        wallet,
                        address,
                        tx.txid,
                        vout,
                        out.value_sat,
                        mined_at,
                        block_hash,
                        tx.is_coinbase,
                    ),
                )
    duplicates = [DuplicateOutpoint(t, v, tuple(n)) for (t, v), n in sorted(owners.items()) if len(n) > 1]
    return sorted(found.values(), key=lambda c: (c.height, c.txid, c.vout)), duplicates


async def _spent_at(
    client: EsploraClient, created: list[_Created], histories: list[list[EsploraTx]], height: int
) -> dict[tuple[str, int], tuple[int, str]]:
    """Outpoints of `created` spent by a transaction confirmed at or below `height`: (height, block).

    A spend of an address's output is in that address's history too; the two sources must agree.
    """
    txids = sorted({c.txid for c in created})
    answers = await gather([client.outspends(txid) for txid in txids])
    by_tx = dict(zip(txids, answers))
    in_history = {
        point: tx
        for history in histories
        for tx in history
        if tx.status.confirmed and tx.status.height is not None and tx.status.height <= height
        for point in tx.inputs
    }
    spent: dict[tuple[str, int], tuple[int, str]] = {}
    for c in created:
        spends = by_tx[c.txid]
        if c.vout >= len(spends):
            raise ChainDataError(f"/tx/{c.txid}/outspends: no entry for output {c.vout}")
        spend = spends[c.vout]
        status = spend.status
        if (
            spend.spent
            and status is not None
            and status.confirmed
            and status.height is not None
            and status.block_hash is not None
            and status.height <= height
        ):
            if status.height < c.height:
                raise ChainDataError(f"{c.txid}:{c.vout} spent at height {status.height}, before it was created")
            spent[(c.txid, c.vout)] = (status.height, status.block_hash)
        witness = in_history.get((c.txid, c.vout))
        if (witness is not None) != ((c.txid, c.vout) in spent) or (witness and witness.txid != spend.txid):
            raise ChainDataError(
                f"{c.txid}:{c.vout}: outspends and the address history disagree on its spend at or below "
                f"height {height}: inconsistent server"
            )
    return spent


async def _check_best_chain(client: EsploraClient, claims: set[tuple[int, str]]) -> None:
    heights = sorted({h for h, _ in claims})
    best = dict(zip(heights, await gather([client.block_hash_at(h) for h in heights])))
    for claimed_height, block_hash in sorted(claims):
        if best[claimed_height] != block_hash:
            raise ChainDataError(
                f"a transaction is confirmed in block {block_hash} at height {claimed_height}, but the "
                f"server's block there is {best[claimed_height]}: reorg or inconsistent server"
            )


async def _to_utxo(client: EsploraClient, c: _Created, height: int, median_time: int | None) -> Utxo:
    utxo_mtp = None
    if c.wallet.relative_time_lock:
        # BIP-68 counts from the median time of the block before the output's; the output block's
        # own median time (or timestamp) is never earlier, so the unlock is never too early.
        own = await client.block(c.block_hash)
        utxo_mtp = own.median_time if own.median_time is not None else own.timestamp
    return Utxo(
        txid=c.txid,
        vout=c.vout,
        value_sat=c.value_sat,
        address=c.address,
        height=c.height,
        confirmations=height - c.height + 1,
        wallet=c.wallet.name,
        coinbase=c.coinbase,
        lock=c.wallet.lock_at(c.address, c.height, height, median_time, utxo_median_time=utxo_mtp),
    )
