"""Bitcoin reserve adapter over a Bitcoin Core node: `scantxoutset` of the declared wallets at one tip.

Range rule: a ranged descriptor is scanned over children [0, scan_range) of each branch (default
1000). Core's UTXO set has no history, so "used" addresses cannot be walked as on Esplora; instead,
whenever a coin sits within the wallet's gap_limit of the end of the scanned range, the range is
doubled (at least to that child + gap_limit + 1) and the scan repeated, up to MAX_SCAN_RANGE
children. Ranges only grow for the adapter's lifetime, so later reads start wide enough.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone

from embit.descriptor.checksum import add_checksum
from embit.networks import NETWORKS
from embit.script import Script, address_to_scriptpubkey

from chains.base import BlockRef, DuplicateOutpoint, ReserveReading, Utxo
from chains.bitcoin.classify import split
from chains.bitcoin.consistency import BestChainCache, check_claims
from chains.bitcoin.core.config import KIND, MAX_SCAN_RANGE, BitcoinCoreConfig, parse_config
from chains.bitcoin.core.rpc import CoreHeader, CoreRpcClient, ScanResult, ScanUnspent
from chains.bitcoin.descriptors import normalize_address, parse_descriptor
from chains.bitcoin.esplora.adapter import GENESIS, chain_id, until_tip_holds
from chains.bitcoin.esplora.client import EsploraBlock
from chains.bitcoin.scan import gather
from chains.bitcoin.wallets import WalletSpec
from chains.errors import ChainDataError
from chains.registry import Spec

__all__ = ["BitcoinCoreAdapter", "BitcoinCoreConfig", "SPEC", "parse_config", "single_branch"]

_MULTIPATH = re.compile(r"<([^<>]*)>")
# (wallet index, branch) -> first child not scanned
Ranges = dict[tuple[int, int], int]


def single_branch(descriptor: str, branch: int) -> str:
    """`descriptor` with every BIP-389 `<a;b;...>` group replaced by its `branch`-th element."""
    return _MULTIPATH.sub(lambda m: m.group(1).split(";")[branch], descriptor)


class _ScriptIndex:
    """scriptPubKey -> [(wallet index, address, branch, child)] for everything a scan asks for.

    Derivation is the costly part (~0.1-0.4 ms a child with embit), so children are derived once
    and kept; later reads with the same or wider ranges only derive what is new.
    """

    def __init__(self, wallets: tuple[WalletSpec, ...], network: str) -> None:
        self._wallets = wallets
        self._params = NETWORKS[network]
        self._descs = [parse_descriptor(w.descriptor, network) if w.descriptor else None for w in wallets]
        self._done: Ranges = {}
        self.owners: dict[bytes, list[tuple[int, str, int, int]]] = {}
        for i, wallet in enumerate(wallets):
            for position, address in enumerate(wallet.addresses):
                spk = address_to_scriptpubkey(normalize_address(address, network)).data
                self.owners.setdefault(spk, []).append((i, address, 0, position))

    def branches(self, i: int) -> int:
        desc = self._descs[i]
        return 0 if desc is None else desc.branches

    def ranged(self, i: int) -> bool:
        desc = self._descs[i]
        return desc is not None and desc.ranged

    def extend(self, ranges: Ranges) -> None:
        """Derive every child below `ranges[(wallet, branch)]` not derived yet (call in a thread)."""
        for (i, branch), end in ranges.items():
            desc = self._descs[i]
            if desc is None:
                continue  # an address list: no branches, nothing to derive
            start = self._done.get((i, branch), 0)
            for child in range(start, end if desc.ranged else 1):
                spk = desc.script_pubkey(child, branch)
                self.owners.setdefault(spk, []).append((i, Script(spk).address(self._params), branch, child))
            self._done[(i, branch)] = max(start, end if desc.ranged else 1)


class BitcoinCoreAdapter:
    """Reads the confirmed UTXOs of one reserve source through a Bitcoin Core node.

    Same reading as the Esplora adapter: anchored at the tip read first (`getbestblockhash`,
    `getblockheader` for height, time and median time past), the scan must report that same best
    block, and the tip is read again after the scan: a move means the scan is redone, up to
    READ_ATTEMPTS (chains.bitcoin.esplora.adapter) times, then ChainDataError. Block 0 must be the network's genesis
    on every read.
    Counted UTXOs' blocks (when the node reports them, v26+) must be best-chain blocks. Outputs a
    mempool transaction spends are left out (as Esplora does); the UTXO set has no unconfirmed
    outputs, so `uncounted` holds shallow and immature coinbase outputs only.
    """

    kind = KIND

    def __init__(self, config: BitcoinCoreConfig) -> None:
        self.config = config
        self.name = config.name
        # As in a URL's user:password@, a user without a password sends an empty one.
        auth = (config.rpc_user, config.rpc_password or "") if config.rpc_user is not None else None
        self._client = CoreRpcClient(
            config.rpc_url,
            auth=auth,
            cookie_path=config.rpc_cookie_path,
            timeout=config.timeout_seconds,
            retries=config.retries,
            backoff_seconds=config.backoff_seconds,
        )
        self._index = _ScriptIndex(config.wallets, config.network)
        self._ranges: Ranges = {
            (i, b): config.scan_range for i in range(len(config.wallets)) for b in range(self._index.branches(i))
        }
        self._best = BestChainCache()
        self._times: dict[str, int] = {}  # block hash -> median time past
        self._reading = asyncio.Lock()

    @property
    def client(self) -> CoreRpcClient:
        """The RPC client (for SPV evidence: `tx_out_proof`, `raw_transaction`)."""
        return self._client

    async def aclose(self) -> None:
        await self._client.aclose()

    async def read_reserves(self) -> ReserveReading:
        """Scan until one scan starts and ends at the same tip; see the class docstring."""
        async with self._reading:  # the node runs one scantxoutset at a time
            return await until_tip_holds(self._read_once)

    async def _read_once(self) -> ReserveReading | None:
        tip_hash = await self._client.best_block_hash()
        await self._check_chain()
        tip = await self._client.block_header(tip_hash)
        scan = await self._scan()
        if (scan.best_block, scan.height) != (tip.hash, tip.height):
            return None
        spent = await self._client.spent_in_mempool([(u.txid, u.vout) for u in scan.unspents])
        unspents = [u for u in scan.unspents if (u.txid, u.vout) not in spent]
        times = await self._median_times(unspents)
        counted, uncounted, duplicates = self._classify(tip, unspents, times)
        anchor = EsploraBlock(tip.hash, tip.height, tip.time, tip.previous)
        claims = {(u.height, h) for u, h in self._claims(scan, counted)}
        best = await self._best.hashes(self._client, {height for height, _ in claims}, anchor)
        if await self._client.best_block_hash() != tip.hash:
            return None
        check_claims(claims, best)
        self._best.remember(best, anchor)
        return ReserveReading(
            source=self.name,
            block=BlockRef(
                chain_id(self.config.network), tip.height, tip.hash, datetime.fromtimestamp(tip.time, tz=timezone.utc)
            ),
            min_confirmations=self.config.min_confirmations,
            utxos=tuple(counted),
            total_sat=sum(u.value_sat for u in counted),
            addresses_scanned=self._scanned(),
            uncounted=tuple(uncounted),
            duplicates=tuple(duplicates),
            median_time=tip.median_time,
        )

    async def _check_chain(self) -> None:
        genesis = await self._client.block_hash_at(0)
        if genesis != GENESIS[self.config.network]:
            raise ChainDataError(f"node's block 0 is {genesis}, not the {self.config.network} genesis: wrong network")

    async def _scan(self) -> ScanResult:
        """scantxoutset over every wallet, widened until no coin is near the end of a range."""
        while True:
            await asyncio.to_thread(self._index.extend, self._ranges)
            scan = await self._client.scan(self._scan_objects(), self.config.scan_timeout_seconds)
            wider = self._widened(scan)
            if wider == self._ranges:
                return scan
            self._ranges = wider

    def _scan_objects(self) -> list[object]:
        objects: list[object] = []
        for i, wallet in enumerate(self.config.wallets):
            objects += [f"addr({a})" for a in wallet.addresses]
            if wallet.descriptor is None:
                continue  # an address list has no branches
            for branch in range(self._index.branches(i)):
                text = add_checksum(single_branch(wallet.descriptor, branch))
                end = self._ranges[(i, branch)]
                # Core's range is inclusive: [0, end - 1] is exactly `end` children.
                objects.append({"desc": text, "range": [0, end - 1]} if self._index.ranged(i) else text)
        return objects

    def _widened(self, scan: ScanResult) -> Ranges:
        wider = dict(self._ranges)
        for unspent in scan.unspents:
            for i, _, branch, child in self._owners(unspent):
                if not self._index.ranged(i):
                    continue
                gap = self.config.wallets[i].gap_limit
                end = wider[(i, branch)]
                if child + gap >= end:
                    if end >= MAX_SCAN_RANGE:
                        raise ChainDataError(
                            f"a coin within the gap limit of child {MAX_SCAN_RANGE}: scan range exhausted"
                        )
                    wider[(i, branch)] = min(MAX_SCAN_RANGE, max(2 * end, child + gap + 1))
        return wider

    async def _median_times(self, unspents: list[ScanUnspent]) -> dict[int, int]:
        """Median time past (by height) of the blocks holding outputs of wallets with a time-based
        `older()`. BIP-68 counts from the median time of the block before the output's; the output
        block's own median time is never earlier, so an unlock derived from it is never too early.
        Cached by block hash (a fact that never changes)."""
        timed = [u for u in unspents if any(self.config.wallets[i].relative_time_lock for i, *_ in self._owners(u))]
        unknown = sorted({u.height for u in timed if u.block_hash is None})
        hashes = {u.height: u.block_hash for u in timed if u.block_hash is not None}
        hashes.update(zip(unknown, await gather([self._client.block_hash_at(h) for h in unknown])))
        missing = sorted(set(hashes.values()) - set(self._times))
        headers = await gather([self._client.block_header(h) for h in missing])
        if len(self._times) > 100_000:
            self._times.clear()
        self._times.update({h.hash: h.median_time for h in headers})
        return {height: self._times[block_hash] for height, block_hash in hashes.items()}

    def _owners(self, unspent: ScanUnspent) -> list[tuple[int, str, int, int]]:
        owners = self._index.owners.get(unspent.script_pubkey)
        if not owners:
            raise ChainDataError(
                f"scantxoutset returned output {unspent.txid}:{unspent.vout} of a script not asked for"
            )
        return owners

    def _classify(
        self, tip: CoreHeader, unspents: list[ScanUnspent], times: dict[int, int]
    ) -> tuple[list[Utxo], list[Utxo], list[DuplicateOutpoint]]:
        utxos: list[Utxo] = []
        duplicates: list[DuplicateOutpoint] = []
        for raw in unspents:
            owners = self._owners(raw)
            # Declaration order decides which wallet a doubly declared outpoint is counted under.
            owners = sorted(set(owners), key=lambda o: o[0])
            wallets = tuple(dict.fromkeys(self.config.wallets[i].name for i, *_ in owners))
            if len(wallets) > 1:
                duplicates.append(DuplicateOutpoint(raw.txid, raw.vout, wallets))
            utxos.append(self._to_utxo(raw, owners[0], tip, times.get(raw.height)))
        counted, uncounted = split(utxos, self.config.min_confirmations)
        return counted, uncounted, sorted(duplicates, key=lambda d: (d.txid, d.vout))

    def _to_utxo(
        self, raw: ScanUnspent, owner: tuple[int, str, int, int], tip: CoreHeader, utxo_time: int | None
    ) -> Utxo:
        if raw.height > tip.height:
            raise ChainDataError(f"scantxoutset: output {raw.txid}:{raw.vout} is above the scanned tip")
        confirmations = tip.height - raw.height + 1
        if raw.confirmations is not None and raw.confirmations != confirmations:
            raise ChainDataError(f"scantxoutset: output {raw.txid}:{raw.vout} has inconsistent confirmations")
        i, address, _, _ = owner
        wallet = self.config.wallets[i]
        lock = wallet.lock_at(address, raw.height, tip.height, tip.median_time, utxo_median_time=utxo_time)
        return Utxo(
            txid=raw.txid,
            vout=raw.vout,
            value_sat=raw.value_sat,
            address=address,
            height=raw.height,
            confirmations=confirmations,
            wallet=wallet.name,
            coinbase=raw.coinbase,
            lock=lock,
        )

    def _claims(self, scan: ScanResult, counted: list[Utxo]) -> list[tuple[ScanUnspent, str]]:
        keys = {(u.txid, u.vout) for u in counted}
        return [(u, u.block_hash) for u in scan.unspents if (u.txid, u.vout) in keys and u.block_hash is not None]

    def _scanned(self) -> int:
        fixed = sum(len(w.addresses) for w in self.config.wallets)
        return fixed + sum(end if self._index.ranged(i) else 1 for (i, _), end in self._ranges.items())


SPEC = Spec(kind=KIND, role="reserve", parse_config=parse_config, build=BitcoinCoreAdapter)
