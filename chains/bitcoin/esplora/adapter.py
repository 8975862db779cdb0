"""Bitcoin reserve adapter over Esplora: which UTXOs of the declared reserves count at the current tip."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timezone
from typing import Any

from chains.base import BlockRef, OutpointState, ReserveReading, Utxo
from chains.bitcoin.classify import Hit, dedupe, needs_coinbase_check, split, to_utxo
from chains.bitcoin.consistency import BestChainCache, Claim, check_claims
from chains.bitcoin.esplora.client import EsploraBlock, EsploraClient
from chains.bitcoin.esplora.config import KIND, BitcoinEsploraConfig, parse_config
from chains.bitcoin.esplora.history import check_height, reserves_at
from chains.bitcoin.networks import GENESIS, chain_id
from chains.bitcoin.scan import gather, wallet_addresses
from chains.errors import ChainDataError
from chains.registry import Spec

__all__ = [
    "GENESIS",
    "READ_ATTEMPTS",
    "BitcoinEsploraAdapter",
    "BitcoinEsploraConfig",
    "SPEC",
    "chain_id",
    "parse_config",
]

# Immutable facts remembered across reads (a txid is a coinbase or not; a block's median time),
# dropped whole beyond this many entries.
MAX_REMEMBERED = 100_000
# A block every ~10 minutes rarely lands during a scan twice in a row; three moves in a row means
# the chain (or the server) is too unsettled to read now.
READ_ATTEMPTS = 3


async def until_tip_holds(read_once: Callable[[], Awaitable[ReserveReading | None]]) -> ReserveReading:
    """The first of up to READ_ATTEMPTS scans that starts and ends at one tip (`read_once` gives None
    when the tip moved), else ChainDataError: never a reading that mixes two chain states."""
    for _ in range(READ_ATTEMPTS):
        reading = await read_once()
        if reading is not None:
            return reading
    raise ChainDataError(
        f"tip moved during the scan on each of {READ_ATTEMPTS} attempts (blocks arriving fast or "
        "a reorg); no reading returned rather than one mixing two chain states"
    )


class BitcoinEsploraAdapter:
    """Reads the confirmed UTXOs of one reserve source's wallets through an Esplora server.

    A reading is anchored at the tip read first; only outputs with `tip_height - height + 1 >=
    min_confirmations` count, deduplicated by outpoint across wallets (the wallet declared first
    keeps it; the others are listed in `duplicates`). Outputs younger than COINBASE_MATURITY are
    checked through `/tx/:txid`: an immature coinbase is `uncounted`, like shallow and unconfirmed
    ones. Each UTXO carries its wallet's time lock at the tip (None when a path is open). The
    tip is read again after every UTXO query: if it moved (a block or a reorg arrived during the
    scan) the scan is redone, up to `READ_ATTEMPTS` times, then ChainDataError; a reading never
    mixes two chain states. Every counted UTXO's block must be the server's best-chain block at its
    height, and the server's block 0 must be the declared network's genesis, checked on every read
    (a load balancer may later route to another backend).
    """

    kind = KIND

    def __init__(self, config: BitcoinEsploraConfig) -> None:
        self.config = config
        self.name = config.name
        self._wallets = config.wallets
        self._client = EsploraClient(
            config.esplora_url,
            timeout=config.timeout_seconds,
            retries=config.retries,
            concurrency=config.concurrency,
            backoff_seconds=config.backoff_seconds,
        )
        self._best = BestChainCache()
        self._coinbase: dict[str, bool] = {}
        self._block_times: dict[str, int] = {}

    async def aclose(self) -> None:
        await self._client.aclose()

    async def read_reserves(self) -> ReserveReading:
        """Scan until one scan starts and ends at the same tip; see the class docstring."""
        return await until_tip_holds(self._read_once)

    async def read_outpoint(self, txid: str, vout: int) -> OutpointState:
        """The output `txid:vout` and whether it is spent (`/tx/:txid`, `/tx/:txid/outspend/:vout`)."""
        try:
            tx = await self._client.transaction(txid)
        except ChainDataError as exc:
            if exc.detail.endswith("HTTP 404"):  # Esplora answers 404 for a transaction it does not know
                return OutpointState("missing")
            raise
        if vout >= len(tx.outputs):
            return OutpointState("missing")
        out = tx.outputs[vout]
        spend = await self._client.outspend(txid, vout)
        return OutpointState("spent" if spend.spent else "unspent", out.value_sat, out.script_pubkey)

    async def _read_once(self) -> ReserveReading | None:
        """One scan anchored at the tip; None when the tip moved before the scan ended."""
        tip_hash = await self._client.tip_hash()
        # After the tip: a backend switched before this call would otherwise pass the check and
        # serve the whole scan; switched after it, the tip re-read below differs.
        await self._check_chain()
        tip = await self._client.block(tip_hash)
        hits, scanned = await self._hits()
        kept, duplicates = dedupe(hits)
        utxos = await self._utxos(kept, tip)
        counted, uncounted = split(utxos, self.config.min_confirmations)
        claims = _claims(kept, counted)
        best = await self._best.hashes(self._client, {height for height, _ in claims}, tip)
        if await self._client.tip_hash() != tip.hash:
            return None
        check_claims(claims, best)
        self._best.remember(best, tip)
        return ReserveReading(
            source=self.name,
            block=BlockRef(
                chain_id=chain_id(self.config.network),
                height=tip.height,
                hash=tip.hash,
                time=datetime.fromtimestamp(tip.timestamp, tz=timezone.utc),
            ),
            min_confirmations=self.config.min_confirmations,
            utxos=tuple(counted),
            total_sat=sum(u.value_sat for u in counted),
            addresses_scanned=scanned,
            uncounted=tuple(uncounted),
            duplicates=duplicates,
            median_time=tip.median_time,
        )

    async def _check_chain(self) -> None:
        genesis = await self._client.block_hash_at(0)
        if genesis != GENESIS[self.config.network]:
            raise ChainDataError(f"server's block 0 is {genesis}, not the {self.config.network} genesis: wrong network")

    async def _hits(self) -> tuple[list[Hit], int]:
        """Every output of every wallet's addresses, in declaration order; each address read once."""
        found = await gather([wallet_addresses(self._client, w) for w in self._wallets])
        distinct = list(dict.fromkeys(a for addresses, _ in found for a in addresses))
        lists = dict(zip(distinct, await gather([self._client.address_utxos(a) for a in distinct])))
        hits = [
            Hit(wallet, address, raw.txid, raw.vout, raw.value_sat, raw.height, raw.block_hash)
            for wallet, (addresses, _) in zip(self._wallets, found)
            for address in addresses
            for raw in lists[address]
        ]
        return hits, sum(looked for _, looked in found)

    async def _utxos(self, hits: list[Hit], tip: EsploraBlock) -> list[Utxo]:
        """Utxos with their coinbase flag and time lock at the tip.

        Only outputs younger than COINBASE_MATURITY are looked up (`coinbase` stays False for older
        ones: maturity no longer matters for them).
        """
        young = {h.txid for h in hits if needs_coinbase_check(h, tip.height)}
        coinbase = await self._known(self._coinbase, young, self._is_coinbase)
        timed = {h.block_hash for h in hits if h.wallet.relative_time_lock and h.block_hash}
        times = await self._known(self._block_times, timed, self._block_time)
        return [
            to_utxo(
                h,
                tip.height,
                tip.median_time,
                coinbase=coinbase.get(h.txid, False),
                utxo_median_time=times.get(h.block_hash) if h.block_hash else None,
            )
            for h in hits
        ]

    async def _known(self, cache: dict, keys: set[str], ask: Callable[[str], Coroutine[Any, Any, Any]]) -> dict:
        """The value of each key: cached, or asked once and remembered (the facts never change)."""
        missing = sorted(keys - set(cache))
        found = dict(zip(missing, await gather([ask(key) for key in missing])))
        out = {key: cache[key] for key in keys if key in cache} | found
        if len(cache) + len(found) > MAX_REMEMBERED:
            cache.clear()
        cache.update(found)
        return out

    async def _is_coinbase(self, txid: str) -> bool:
        tx = await self._client.transaction(txid)
        return tx.is_coinbase

    async def _block_time(self, block_hash: str) -> int:
        # BIP-68 counts from the median time of the block before the output's; the output block's
        # own median time (or its timestamp) is never earlier, so its unlock is never too early.
        block = await self._client.block(block_hash)
        return block.median_time if block.median_time is not None else block.timestamp

    async def read_reserves_at(self, height: int) -> ReserveReading:
        """The reserves as they stood at block `height`, from Esplora history (chains.bitcoin.esplora.history)."""
        check_height(height)
        await self._check_chain()
        found = await gather([wallet_addresses(self._client, w) for w in self._wallets])
        return await reserves_at(
            self._client,
            height,
            [(w, addresses) for w, (addresses, _) in zip(self._wallets, found)],
            source=self.name,
            chain_id=chain_id(self.config.network),
            min_confirmations=self.config.min_confirmations,
            addresses_scanned=sum(n for _, n in found),
        )


def _claims(kept: list[Hit], counted: list[Utxo]) -> set[Claim]:
    """(height, block hash) of every counted UTXO: the blocks to check against the best chain."""
    wanted = {(u.txid, u.vout) for u in counted}
    return {
        (h.height, h.block_hash)
        for h in kept
        if (h.txid, h.vout) in wanted and h.height is not None and h.block_hash is not None
    }


SPEC = Spec(kind=KIND, role="reserve", parse_config=parse_config, build=BitcoinEsploraAdapter)
