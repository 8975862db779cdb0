"""Bitcoin reserve adapter over Esplora: which UTXOs of the declared reserves count at the current tip."""

from __future__ import annotations

from datetime import datetime, timezone

from chains.base import BlockRef, ReserveReading, Utxo
from chains.bitcoin.consistency import BestChainCache, Claim, check_claims
from chains.bitcoin.config import KIND, BitcoinEsploraConfig, parse_config
from chains.bitcoin.descriptors import parse_descriptor
from chains.bitcoin.esplora import EsploraBlock, EsploraClient, EsploraUtxo
from chains.bitcoin.scan import gather, used_children
from chains.errors import ChainDataError
from chains.registry import AdapterSpec

__all__ = ["GENESIS", "READ_ATTEMPTS", "BitcoinEsploraAdapter", "BitcoinEsploraConfig", "SPEC", "chain_id", "parse_config"]

# Genesis block hashes (display order) of the networks we accept; CAIP-2 uses the first 32 chars.
GENESIS = {
    "main": "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
    "test": "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943",
    "signet": "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6",
    "regtest": "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
}

# A block every ~10 minutes rarely lands during a scan twice in a row; three moves in a row means
# the chain (or the server) is too unsettled to read now.
READ_ATTEMPTS = 3


def chain_id(network: str) -> str:
    """CAIP-2 id of a Bitcoin network: `bip122:` + first 32 hex chars of its genesis hash."""
    return "bip122:" + GENESIS[network][:32]


class BitcoinEsploraAdapter:
    """Reads the confirmed UTXOs of one reserve source through an Esplora server.

    A reading is anchored at the tip read first; only outputs with `tip_height - height + 1 >=
    min_confirmations` count (deduplicated by outpoint), the rest are reported as `uncounted`. The
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
        self._descriptors = [parse_descriptor(text, config.network) for text in config.descriptors]
        self._client = EsploraClient(
            config.esplora_url,
            timeout=config.timeout_seconds,
            retries=config.retries,
            concurrency=config.concurrency,
            backoff_seconds=config.backoff_seconds,
        )
        self._best = BestChainCache()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def read_reserves(self) -> ReserveReading:
        """Scan until one scan starts and ends at the same tip; see the class docstring."""
        for _ in range(READ_ATTEMPTS):
            reading = await self._read_once()
            if reading is not None:
                return reading
        raise ChainDataError(
            f"tip moved during the scan on each of {READ_ATTEMPTS} attempts (blocks arriving fast or "
            "a reorg); no reading returned rather than one mixing two chain states"
        )

    async def _read_once(self) -> ReserveReading | None:
        """One scan anchored at the tip; None when the tip moved before the scan ended."""
        tip_hash = await self._client.tip_hash()
        # After the tip: a backend switched before this call would otherwise pass the check and
        # serve the whole scan; switched after it, the tip re-read below differs.
        await self._check_chain()
        tip = await self._client.block(tip_hash)
        addresses, scanned = await self._addresses()
        lists = await gather([self._client.address_utxos(a) for a in addresses])
        counted, uncounted = self._classify(tip, addresses, lists)
        claims = self._counted_claims(tip.height, lists)
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
        )

    async def _check_chain(self) -> None:
        genesis = await self._client.block_hash_at(0)
        if genesis != GENESIS[self.config.network]:
            raise ChainDataError(
                f"server's block 0 is {genesis}, not the {self.config.network} genesis: wrong network"
            )

    async def _addresses(self) -> tuple[list[str], int]:
        """Declared addresses plus used descriptor children, in order, without repeats."""
        found = await gather([used_children(self._client, d, self.config.gap_limit) for d in self._descriptors])
        ordered = dict.fromkeys(self.config.addresses)
        for used, _ in found:
            ordered.update(dict.fromkeys(used))
        return list(ordered), len(self.config.addresses) + sum(looked for _, looked in found)

    def _classify(
        self, tip: EsploraBlock, addresses: list[str], lists: list[list[EsploraUtxo]]
    ) -> tuple[list[Utxo], list[Utxo]]:
        counted: list[Utxo] = []
        uncounted: list[Utxo] = []
        seen: set[tuple[str, int]] = set()
        for address, utxos in zip(addresses, lists):
            for raw in utxos:
                if (raw.txid, raw.vout) in seen:
                    continue
                seen.add((raw.txid, raw.vout))
                utxo = _to_utxo(raw, address, tip.height)
                enough = utxo.confirmations >= self.config.min_confirmations
                (counted if enough else uncounted).append(utxo)
        order = lambda u: (u.height if u.height is not None else -1, u.txid, u.vout)  # noqa: E731
        return sorted(counted, key=order), sorted(uncounted, key=order)

    def _counted_claims(self, tip_height: int, lists: list[list[EsploraUtxo]]) -> set[Claim]:
        """(height, block hash) of every UTXO deep enough to count: the blocks to check."""
        return {
            (raw.height, raw.block_hash)
            for utxos in lists
            for raw in utxos
            if raw.height is not None and raw.block_hash is not None
            and _confirmations(raw.height, tip_height) >= self.config.min_confirmations
        }


def _confirmations(height: int | None, tip_height: int) -> int:
    # An output "confirmed" above the tip we anchored on was mined after the tip was read (or the
    # server is inconsistent): it gets 0 confirmations and is not counted.
    if height is None or height > tip_height:
        return 0
    return tip_height - height + 1


def _to_utxo(raw: EsploraUtxo, address: str, tip_height: int) -> Utxo:
    confirmations = _confirmations(raw.height, tip_height)
    return Utxo(
        txid=raw.txid,
        vout=raw.vout,
        value_sat=raw.value_sat,
        address=address,
        height=raw.height,
        confirmations=confirmations,
    )


SPEC = AdapterSpec(kind=KIND, role="reserve", parse_config=parse_config, build=BitcoinEsploraAdapter)
