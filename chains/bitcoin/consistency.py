"""Checks that the UTXOs of one reading sit in the blocks the server calls its best chain."""

from __future__ import annotations

from typing import Protocol

from chains.bitcoin.esplora.client import EsploraBlock
from chains.bitcoin.scan import gather
from chains.errors import ChainDataError

# (height, block hash) an Esplora UTXO claims to be confirmed in.
Claim = tuple[int, str]


class BlockHashes(Protocol):
    """What the cache asks a backend (Esplora or Bitcoin Core): the best-chain hash at a height."""

    async def block_hash_at(self, height: int) -> str: ...


class BestChainCache:
    """Best-chain hashes already checked, reused while the block they were anchored at stays best.

    If the server still has block `anchor` (height H, hash X) in its best chain, every block
    below H is unchanged too (each header commits to its parent), so a cached height <= H needs
    no new request. One `/block-height/H` per read replaces one per distinct UTXO height, which
    otherwise grows with the wallet's age and made long-running scans outlast the block interval.
    Any doubt (anchor replaced, chain shorter than H) drops the whole cache.
    """

    def __init__(self) -> None:
        self._hashes: dict[int, str] = {}
        self._anchor: Claim | None = None

    async def hashes(self, client: BlockHashes, heights: set[int], tip: EsploraBlock) -> dict[int, str]:
        """Best-chain hash at each of `heights` (and the tip's), asking only for heights not vouched for."""
        if self._anchor is not None and not await self._anchor_holds(client, tip, self._anchor):
            self._hashes, self._anchor = {}, None
        known = {**self._hashes, tip.height: tip.hash}
        missing = sorted(heights - set(known))
        answers = await gather([client.block_hash_at(height) for height in missing])
        return {**known, **dict(zip(missing, answers))}

    async def _anchor_holds(self, client: BlockHashes, tip: EsploraBlock, anchor: Claim) -> bool:
        height, block_hash = anchor
        if height > tip.height:
            return False
        if height == tip.height:
            return tip.hash == block_hash
        return await client.block_hash_at(height) == block_hash

    def remember(self, best: dict[int, str], tip: EsploraBlock) -> None:
        """Keep `best` after a read whose tip held and whose claims all matched."""
        self._hashes = {h: v for h, v in best.items() if h <= tip.height}
        self._anchor = (tip.height, tip.hash)


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
