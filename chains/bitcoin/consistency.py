"""Checks that the UTXOs of one reading sit in the blocks the server calls its best chain."""

from __future__ import annotations

from chains.bitcoin.esplora import EsploraBlock, EsploraClient
from chains.bitcoin.scan import gather
from chains.errors import ChainDataError

# (height, block hash) an Esplora UTXO claims to be confirmed in.
Claim = tuple[int, str]


async def best_chain_hashes(client: EsploraClient, heights: set[int], tip: EsploraBlock) -> dict[int, str]:
    """The server's best-chain block hash at each of `heights`, one `/block-height/:h` per distinct height.

    Why every distinct height and not a sample: a UTXO left over from an orphaned block (a reorg
    the UTXO index has not caught up with, or a load balancer mixing backends) looks exactly like a
    good one except for its block hash, and only the hash at its own height can tell. The cost is
    bounded by the number of distinct heights of counted UTXOs, not by their count; the tip's height
    is already known from the block we anchored on. The answers belong to this read only: after a
    new tip, any height may have changed.
    """
    asked = sorted(heights - {tip.height})
    answers = await gather([client.block_hash_at(height) for height in asked])
    return {tip.height: tip.hash, **dict(zip(asked, answers))}


def check_claims(claims: set[Claim], best: dict[int, str]) -> None:
    """ChainDataError unless every claimed block is the best-chain block at its height.

    Called only once the tip was re-read unchanged, so a mismatch is not a block arriving during
    the scan: it is a reorg the server's indexes disagree about, or a server that lies.
    """
    for height, block_hash in sorted(claims):
        if best[height] != block_hash:
            raise ChainDataError(
                f"a UTXO is confirmed in block {block_hash} at height {height}, but the server's block "
                f"at that height is {best[height]}: reorg or inconsistent server"
            )
