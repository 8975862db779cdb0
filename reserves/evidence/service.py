"""SPV evidence of the counted UTXOs: collected by a job after snapshots, served from the database only."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec

from chains.bitcoin.esplora.adapter import GENESIS
from chains.bitcoin.esplora.client import EsploraClient
from chains.bitcoin.esplora.evidence_bundle import MAX_HEADERS, EvidenceBundle, collect_evidence, header_chain
from chains.bitcoin.spv import NETWORKS as _POW_NETWORKS
from chains.bitcoin.spv import Header, SpvError, check_headers, verify_evidence
from chains.errors import ChainError
from chains.hexes import is_hex64
from reserves.errors import InvalidInput, NotFound
from reserves.evidence.cache import DEFAULT_MAX_BYTES, BoundedCache
from reserves.storage import documents
from reserves.storage import evidence_repository as repo
from reserves.storage.db import Database
from reserves.storage.evidence_models import EvidenceOutpointRow
from reserves.storage.repository import attestation_documents, latest_attestation, latest_attestation_id

log = logging.getLogger(__name__)

# New bundles collected per source and run; the rest follow in later runs (a first run on a big
# wallet must not hold the scheduler for hours).
MAX_NEW_PER_RUN = 2000
# The evidence job's first run waits this long after the first snapshot's start.
EVIDENCE_DELAY = timedelta(seconds=30)
NETWORK_BY_CHAIN = {"bip122:" + genesis[:32]: network for network, genesis in GENESIS.items()}


NETWORKS = tuple(sorted(_POW_NETWORKS))


def verify_bundle(bundle: Any, tip_hash: str, network: str) -> tuple[bool, dict[str, Any]]:
    """Offline check of a bundle (JSON form) against `tip_hash`: (valid, result JSON). Never raises."""
    result = verify_evidence(bundle, tip_hash, network)
    return result.valid, result.to_json()


class EvidencePending(NotFound):
    """The outpoint counts, but its evidence is not collected yet (or a reorg made it stale)."""

    code = "evidence_pending"


@dataclass(frozen=True)
class RunSummary:
    """What one evidence run did, per the whole attestation."""

    collected: int = 0
    reused: int = 0
    failed: int = 0
    skipped: int = 0


def _sources(document: dict) -> list[dict]:
    reserves = document.get("body", document).get("reserves", {}) if isinstance(document, dict) else {}
    return [s for s in reserves.get("sources", []) if isinstance(s, dict) and "error" not in s]


# ---- the job ----------------------------------------------------------------------------------


async def collect_for_latest(
    db: Database, clients: dict[str, EsploraClient], *, max_new: int = MAX_NEW_PER_RUN
) -> RunSummary:
    """Collect evidence for the counted UTXOs of the latest attestation; `clients` by source name.

    Sources without a client (not Esplora-backed) are skipped. Headers are fetched once per height and
    checked once per run (proof of work, linkage); each new bundle is checked (tx, merkle branch,
    header) before it is stored, so the API never serves evidence that fails our own verifier.
    """
    async with db.sessions() as session:
        row = await latest_attestation(session)
    if row is None:
        return RunSummary()
    totals = RunSummary()
    for source in _sources(documents.document(row)):
        name = source.get("name")
        client = clients.get(name) if isinstance(name, str) else None
        if client is None:
            continue
        try:
            done = await _collect_source(db, client, source, max_new)
        except (ChainError, SpvError) as exc:
            log.warning("evidence for source %s skipped: %s", source.get("name"), getattr(exc, "detail", exc))
            done = RunSummary(failed=len(source.get("utxos", [])))
        totals = RunSummary(*(a + b for a, b in zip(vars(totals).values(), vars(done).values())))
    return totals


async def _collect_source(db: Database, client: EsploraClient, source: dict, max_new: int) -> RunSummary:
    chain_id, network = source["chain_id"], NETWORK_BY_CHAIN.get(source["chain_id"])
    tip = _Tip(int(source["height"]), str(source["block_hash"]))
    utxos = [(u["txid"], int(u["vout"]), int(u["height"])) for u in source.get("utxos", [])]
    if network is None or not utxos:
        return RunSummary(skipped=len(utxos))
    reachable = [u for u in utxos if tip.height - u[2] + 1 <= MAX_HEADERS]
    low = min(u[2] for u in reachable) if reachable else tip.height
    async with db.sessions() as session:
        stored_headers = await repo.headers_between(session, chain_id, low, tip.height)
        stored = await repo.outpoints(session, chain_id, [u[0] for u in reachable])
    cache = dict(stored_headers)
    try:
        await header_chain(client, low, tip, cache)
    finally:
        await _save_headers(db, chain_id, stored_headers, cache)
    check_headers([bytes.fromhex(cache[h][1]) for h in range(low, tip.height + 1)], low, network)
    collected = reused = failed = 0
    for txid, vout, _ in reachable:
        row = stored.get((txid, vout))
        if row is not None and cache.get(row.block_height, ("",))[0] == row.block_hash:
            reused += 1
            continue
        if collected + failed >= max_new:
            break
        try:
            bundle = await collect_evidence(client, txid, vout, tip, headers=cache)
            _check_bundle(bundle, network)
        except (ChainError, SpvError) as exc:
            log.warning("evidence for %s:%d not collected: %s", txid, vout, getattr(exc, "detail", exc))
            failed += 1
            continue
        async with db.sessions() as session, session.begin():
            await repo.save_outpoint(session, _row(chain_id, bundle))
        collected += 1
    return RunSummary(collected, reused, failed, len(utxos) - collected - reused - failed)


def _check_bundle(bundle: EvidenceBundle, network: str) -> None:
    """Transaction, output and merkle branch against the UTXO's own header (the header chain above
    it was checked once for the whole source)."""
    first = bundle.headers[0]
    own = replace(bundle, headers=(first,))
    result = verify_evidence(own, Header.parse(bytes.fromhex(first)).hash, network)
    if not result.valid:
        raise SpvError(result.reason, result.detail)


async def _save_headers(db: Database, chain_id: str, before: dict, after: dict) -> None:
    changed = {h: v for h, v in after.items() if before.get(h) != v}
    removed = set(before) - set(after)
    if changed or removed:
        async with db.sessions() as session, session.begin():
            await repo.save_headers(session, chain_id, changed, removed)


def _row(chain_id: str, bundle: EvidenceBundle) -> EvidenceOutpointRow:
    return EvidenceOutpointRow(
        chain_id=chain_id,
        txid=bundle.txid,
        vout=bundle.vout,
        value_sat=bundle.value_sat,
        script_pubkey=bundle.script_pubkey,
        tx_hex=bundle.tx_hex,
        block_height=bundle.block_height,
        block_hash=Header.parse(bytes.fromhex(bundle.headers[0])).hash,
        merkle_pos=bundle.merkle_pos,
        merkle_branch=json.dumps(list(bundle.merkle_branch)),
        collected_at=datetime.now(timezone.utc),
    )


@dataclass(frozen=True)
class _Tip:
    height: int
    hash: str


# ---- serving ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltEvidence:
    """The JSON bytes of one evidence document, the same gzip-compressed (made once: compressing 8 MB
    takes about a second), and the strong ETag of each (sha256 of the JSON bytes)."""

    body: bytes
    gzipped: bytes
    etag: str

    @property
    def gzip_etag(self) -> str:
        return self.etag[:-1] + '.gz"'


@dataclass(frozen=True)
class _Counted:
    """Where the latest attestation counts an outpoint: its source's name, chain and tip."""

    source: str
    chain_id: str
    height: int
    tip_hash: str


class EvidenceService:
    """Builds the evidence document of one counted UTXO from stored rows (never calls a chain).

    A document depends only on the attestation (its tip), the outpoint and rows that cannot change
    while they link to that tip: headers are checked to chain up to the attested tip hash (a hash
    chain admits one header per height), and the outpoint's row to sit in the header at its height
    (the transaction and its merkle branch are fixed by that block). So each is built at most once
    per (attestation, outpoint): off the event loop, concurrent requests sharing the build, and
    kept as bytes in a cache bounded by `cache_bytes`. Refusals (not counted, pending) are not kept.
    """

    def __init__(self, db: Database, cache_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._db = db
        self.bundles: BoundedCache[BuiltEvidence] = BoundedCache(cache_bytes, lambda b: len(b.body) + len(b.gzipped))
        # The outpoints the newest attestations count, by attestation id (the newest two are plenty).
        self._counted: BoundedCache[dict[tuple[str, int], _Counted]] = BoundedCache(2, lambda _: 1)

    async def evidence(self, txid: str, vout: int) -> dict[str, Any]:
        """{attestation_id, source, chain_id, network, tip, bundle} for an outpoint the latest
        attestation counts; NotFound when it does not, EvidencePending while not collected."""
        return json.loads((await self.built(txid, vout)).body)

    async def built(self, txid: str, vout: int) -> BuiltEvidence:
        """The document of `evidence` as JSON bytes with its ETag, built at most once (see the class)."""
        txid = txid.lower()
        if not is_hex64(txid) or not 0 <= vout <= 2**32 - 1:
            raise InvalidInput("txid must be 64 hex digits and vout an integer in [0, 2**32-1]")
        async with self._db.sessions() as session:
            att_id = await latest_attestation_id(session)
        if att_id is None:
            raise NotFound("no attestation yet")
        counted = await self._counted.get(att_id, lambda: self._counted_by(att_id))
        where = counted.get((txid, vout))
        if where is None:
            raise NotFound(f"{txid}:{vout} is not a counted UTXO of the latest attestation")
        return await self.bundles.get((att_id, txid, vout), lambda: self._build(att_id, where, txid, vout))

    async def _counted_by(self, att_id: str) -> dict[tuple[str, int], _Counted]:
        async with self._db.sessions() as session:
            text = (await attestation_documents(session, [att_id]))[att_id]
        return await asyncio.to_thread(_counted_outpoints, text)

    async def _build(self, att_id: str, where: _Counted, txid: str, vout: int) -> BuiltEvidence:
        async with self._db.sessions() as session:
            found = await repo.get_outpoint(session, where.chain_id, txid, vout)
            if found is None:
                raise EvidencePending(f"evidence for {txid}:{vout} is not collected yet; try again later")
            headers = await repo.headers_between(session, where.chain_id, found.block_height, where.height)
        return await asyncio.to_thread(_encode, att_id, where, found, headers)


def _counted_outpoints(text: str) -> dict[tuple[str, int], _Counted]:
    out: dict[tuple[str, int], _Counted] = {}
    for source in _sources(json.loads(text)):
        where = _Counted(source["name"], source["chain_id"], int(source["height"]), source["block_hash"])
        for u in source.get("utxos", []):
            if isinstance(u.get("txid"), str) and isinstance(u.get("vout"), int):
                out.setdefault((u["txid"], u["vout"]), where)
    return out


def _encode(
    att_id: str, where: _Counted, found: EvidenceOutpointRow, headers: dict[int, tuple[str, str]]
) -> BuiltEvidence:
    """The document's JSON bytes (CPU work: run in a thread); EvidencePending when the headers do not link."""
    chain = _linked(headers, found, where.height, where.tip_hash)
    bundle = EvidenceBundle(
        txid=found.txid,
        vout=found.vout,
        value_sat=found.value_sat,
        script_pubkey=found.script_pubkey,
        tx_hex=found.tx_hex,
        block_height=found.block_height,
        merkle_pos=found.merkle_pos,
        merkle_branch=tuple(json.loads(found.merkle_branch)),
        headers=tuple(chain),
    )
    body = msgspec.json.encode(
        {
            "attestation_id": att_id,
            "source": where.source,
            "chain_id": where.chain_id,
            "network": NETWORK_BY_CHAIN.get(where.chain_id),
            "tip": {"height": where.height, "hash": where.tip_hash},
            "bundle": bundle.to_json(),
        }
    )
    gzipped = gzip.compress(body, compresslevel=6, mtime=0)
    return BuiltEvidence(body, gzipped, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _linked(headers: dict[int, tuple[str, str]], found: EvidenceOutpointRow, height: int, tip_hash: str) -> list[str]:
    """Header hex from the UTXO's block to the tip, when stored and linked; else EvidencePending."""
    expected = tip_hash
    chain: list[str] = []
    for h in range(height, found.block_height - 1, -1):
        entry = headers.get(h)
        if entry is None or entry[0] != expected:
            raise EvidencePending(f"headers up to the attested tip are not collected yet (height {h})")
        chain.append(entry[1])
        expected = bytes.fromhex(entry[1])[4:36][::-1].hex()
    if chain and headers[found.block_height][0] != found.block_hash:
        raise EvidencePending("the UTXO's block was reorganised; evidence is being collected again")
    return chain[::-1]
