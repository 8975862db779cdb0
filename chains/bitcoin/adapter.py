"""Bitcoin reserve adapter over Esplora: which UTXOs of the declared reserves count at the current tip."""

from __future__ import annotations

from datetime import datetime, timezone

from chains.base import BlockRef, ReserveReading, Utxo
from chains.bitcoin.config import KIND, BitcoinEsploraConfig, parse_config
from chains.bitcoin.descriptors import parse_descriptor
from chains.bitcoin.esplora import EsploraBlock, EsploraClient, EsploraUtxo
from chains.bitcoin.scan import gather, used_children
from chains.errors import ChainDataError
from chains.registry import AdapterSpec

__all__ = ["GENESIS", "BitcoinEsploraAdapter", "BitcoinEsploraConfig", "SPEC", "chain_id", "parse_config"]

# Genesis block hashes (display order) of the networks we accept; CAIP-2 uses the first 32 chars.
GENESIS = {
    "main": "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
    "test": "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943",
    "signet": "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6",
    "regtest": "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
}


def chain_id(network: str) -> str:
    """CAIP-2 id of a Bitcoin network: `bip122:` + first 32 hex chars of its genesis hash."""
    return "bip122:" + GENESIS[network][:32]


class BitcoinEsploraAdapter:
    """Reads the confirmed UTXOs of one reserve source through an Esplora server.

    A reading is anchored at the tip read first; only outputs with `tip_height - height + 1 >=
    min_confirmations` count (deduplicated by outpoint), the rest are reported as `uncounted`. The
    server must serve the declared network (its block 0 is checked once, then cached).
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
        self._chain_checked = False

    async def aclose(self) -> None:
        await self._client.aclose()

    async def read_reserves(self) -> ReserveReading:
        """Read the tip, then every reserve address; see the class docstring for what counts."""
        await self._check_chain()
        tip = await self._client.block(await self._client.tip_hash())
        addresses, scanned = await self._addresses()
        lists = await gather([self._client.address_utxos(a) for a in addresses])
        counted, uncounted = self._classify(tip, addresses, lists)
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
        if self._chain_checked:
            return
        genesis = await self._client.block_hash_at(0)
        if genesis != GENESIS[self.config.network]:
            raise ChainDataError(
                f"server's block 0 is {genesis}, not the {self.config.network} genesis: wrong network"
            )
        self._chain_checked = True

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


def _to_utxo(raw: EsploraUtxo, address: str, tip_height: int) -> Utxo:
    # An output "confirmed" above the tip we anchored on was mined after the tip was read (or the
    # server is inconsistent): it gets 0 confirmations and is not counted.
    confirmations = 0
    if raw.height is not None and raw.height <= tip_height:
        confirmations = tip_height - raw.height + 1
    return Utxo(
        txid=raw.txid,
        vout=raw.vout,
        value_sat=raw.value_sat,
        address=address,
        height=raw.height,
        confirmations=confirmations,
    )


SPEC = AdapterSpec(kind=KIND, role="reserve", parse_config=parse_config, build=BitcoinEsploraAdapter)
