"""Evidence bundles are built once per (attestation, outpoint), off the event loop, concurrent requests
sharing the build, kept as bytes with an ETag; other requests answer while a big bundle builds."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from datetime import datetime, timezone

import httpx
import pytest
from sqlalchemy import create_engine, insert

from reserves.evidence import service as evidence_service
from reserves.evidence.cache import BoundedCache
from reserves.evidence.service import EvidenceService
from reserves.storage.db import sync_url
from reserves.storage.evidence_models import EvidenceHeaderRow, EvidenceOutpointRow
from tests.bounds.conftest import Live, insert_attestations

CHAIN = "bip122:0f9188f13cb7b2e71f2b8d5e3c9cc5c3"  # regtest
LOW, TIP = 100_000, 150_000  # 50,001 headers: an 8 MB bundle, a UTXO confirmed about a year ago
TXID = "ab" * 32


def header_chain() -> list[tuple[int, str, str]]:
    """(height, hash, header hex) linked by their previous-hash fields (no proof of work: not checked here)."""
    out, prev = [], b"\0" * 32
    for height in range(LOW, TIP + 1):
        raw = (1).to_bytes(4, "little") + prev + height.to_bytes(4, "little") * 11
        digest = hashlib.sha256(hashlib.sha256(raw).digest()).digest()
        out.append((height, digest[::-1].hex(), raw.hex()))
        prev = digest
    return out


def attested(sequence: int, tip_hash: str) -> str:
    source = {"name": "custody", "chain_id": CHAIN, "height": TIP, "block_hash": tip_hash}
    source["utxos"] = [{"txid": TXID, "vout": 1, "height": LOW, "value_sat": "5000"}]
    doc = {"format": 4, "sequence": sequence, "reserves": {"sources": [source]}, "signatures": []}
    return json.dumps(doc, separators=(",", ":"))


@pytest.fixture(scope="module")
def big_bundle(live: Live) -> Live:
    chain = header_chain()
    engine = create_engine(sync_url(live.url))
    try:
        with engine.begin() as conn:
            rows = [dict(chain_id=CHAIN, height=h, hash=x, header=r) for h, x, r in chain]
            conn.execute(insert(EvidenceHeaderRow), rows)
            conn.execute(
                insert(EvidenceOutpointRow),
                [
                    dict(
                        chain_id=CHAIN,
                        txid=TXID,
                        vout=1,
                        value_sat=5000,
                        script_pubkey="0014" + "11" * 20,
                        tx_hex="02000000" + "00" * 60,
                        block_height=LOW,
                        block_hash=chain[0][1],
                        merkle_pos=0,
                        merkle_branch="[]",
                        collected_at=datetime.now(timezone.utc),
                    )
                ],
            )
    finally:
        engine.dispose()
    insert_attestations(live.url, [attested(20_000, chain[-1][1])], start=20_000)
    return live


def service(live: Live) -> EvidenceService:
    return live.app.state.services.evidence


async def test_concurrent_requests_build_once_while_other_requests_answer(big_bundle, monkeypatch):
    started, release = threading.Event(), threading.Event()
    encode = evidence_service._encode

    def held(*args):
        # The build runs in a worker thread: hold it there until the test has seen another answer.
        started.set()
        assert release.wait(60)
        return encode(*args)

    monkeypatch.setattr(evidence_service, "_encode", held)
    cache = service(big_bundle).bundles
    builds = cache.builds
    url = f"/api/v1/evidence/{TXID}/1"
    async with httpx.AsyncClient(base_url=big_bundle.base, timeout=120) as client:
        bundles = [asyncio.create_task(client.get(url)) for _ in range(4)]
        assert await asyncio.to_thread(started.wait, 60)
        keys = await client.get("/api/v1/keys")  # answered while the bundle is being built
        assert keys.status_code == 200 and not any(b.done() for b in bundles)
        release.set()
        answers = await asyncio.gather(*bundles)
    assert cache.builds == builds + 1  # four requests, one build
    assert {a.status_code for a in answers} == {200} and len({a.content for a in answers}) == 1
    body = answers[0].json()
    assert len(answers[0].content) > 8_000_000 and len(body["bundle"]["headers"]) == TIP - LOW + 1
    assert body["tip"] == {"height": TIP, "hash": header_chain()[-1][1]}


def test_the_cached_bytes_carry_an_etag_and_revalidate(big_bundle):
    url = f"{big_bundle.base}/api/v1/evidence/{TXID}/1"
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"}, timeout=60)
    etag = plain.headers["etag"]
    assert etag == '"' + hashlib.sha256(plain.content).hexdigest()[:32] + '"'
    assert "content-encoding" not in plain.headers and plain.headers["cache-control"] == "public, max-age=30"
    # Compressed once when built (the app's gzip layer skips this route): its own tag, the same JSON.
    gz = httpx.get(url, headers={"Accept-Encoding": "gzip"}, timeout=60)
    assert gz.headers["content-encoding"] == "gzip" and gz.content == plain.content
    assert gz.headers["etag"] == etag[:-1] + '.gz"' and "accept-encoding" in gz.headers["vary"].lower()
    for tag in (etag, gz.headers["etag"], "W/" + etag):
        again = httpx.get(url, headers={"If-None-Match": tag}, timeout=60)
        assert again.status_code == 304 and again.content == b""
    assert httpx.get(url, headers={"If-None-Match": '"other"'}, timeout=60).content == plain.content


async def test_the_cache_is_bounded_by_bytes_and_failed_builds_are_not_kept():
    cache: BoundedCache[bytes] = BoundedCache(10, len)

    async def value(v: bytes) -> bytes:
        return v

    for key in "abc":
        await cache.get(key, lambda: value(b"xxxx"))
    assert len(cache) == 2 and cache.size == 8  # "a" went first
    await cache.get("b", lambda: value(b"never"))  # a hit: "b" is now the most recent
    await cache.get("d", lambda: value(b"yyyy"))
    assert cache.builds == 4 and await cache.get("b", lambda: value(b"z")) == b"xxxx"
    await cache.get("huge", lambda: value(b"h" * 11))  # served, not kept
    assert "huge" not in cache._items and cache.size == 8

    async def fail() -> bytes:
        raise RuntimeError("pending")

    for _ in range(2):
        with pytest.raises(RuntimeError):
            await cache.get("e", fail)
    assert cache.builds == 7
