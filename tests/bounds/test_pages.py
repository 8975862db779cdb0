"""Attestation pages (the list and the pending ones) are capped in bytes, read only the documents they
keep, and serve each stored document as the exact bytes the parse-and-encode path gave before."""

from __future__ import annotations

import asyncio
import json
import re
from contextlib import contextmanager

import httpx
import msgspec
import pytest
from sqlalchemy import event

from reserves.read import stored
from reserves.read.stored import MAX_PAGE_BYTES
from reserves.trust.guardians import with_guardians
from tests.bounds.conftest import Live, document, insert_attestations, insert_guardian_signatures

MIB = 1024 * 1024
READS_DOCUMENT = re.compile(r"(?<!\()attestation\.document\b")  # the column itself, not its length


def _current_task():
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop in this thread
        return None


@contextmanager
def document_reads(live: Live):
    """The number of attestation ids each statement reading `attestation.document` asked for."""
    seen: list[int] = []
    engine = live.app.state.services.reserves.db.engine.sync_engine

    def before(conn, cursor, statement, parameters, context, executemany):
        # The web process's own view (reserves.read.hot) reads the newest documents in its
        # background task when they change: not the request's reads.
        task = _current_task()
        if task is not None and task.get_name() == "hot-view":
            return
        if READS_DOCUMENT.search(statement) and "FROM attestation" in statement:
            seen.append(len(parameters) if isinstance(parameters, (tuple, list)) else len(dict(parameters)))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def old_bytes(items: list[tuple[str, str, list]]) -> list[bytes]:
    """Each envelope as the handlers encoded it before: parsed, signatures appended, encoded."""
    return [msgspec.json.encode({"id": i, "attestation": with_guardians(json.loads(t), rows)}) for i, t, rows in items]


@pytest.fixture(scope="module")
def big(live: Live) -> Live:
    """30 final attestations of 1 MiB each, then 30 pending ones of 1 MiB (as one snapshot a minute with
    ~6,000 UTXOs would leave), and a few small ones after."""
    insert_attestations(live.url, [document(i, MIB) for i in range(30)])
    insert_attestations(live.url, [document(i, MIB) for i in range(30, 60)], finality="pending", start=30)
    insert_attestations(live.url, [document(i, 100) for i in range(60, 65)], finality="pending", start=60)
    return live


def served(body: dict) -> int:
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    return sum(len(json.dumps(e["attestation"], **compact).encode()) for e in body["items"])


def walk(base: str, path: str, cursor_param: str, cursor_field: str) -> tuple[list[dict], list[int]]:
    items, sizes, params = [], [], {"limit": 500}
    with httpx.Client(base_url=base, timeout=60) as client:
        while True:
            r = client.get(path, params=params)
            assert r.status_code == 200, r.text
            sizes.append(len(r.content))
            body = r.json()
            assert body["limit"] == 500
            items += body["items"]
            if body[cursor_field] is None:
                return items, sizes
            params = {"limit": 500, cursor_param: body[cursor_field]}


def test_the_list_stops_at_the_byte_cap_and_reads_only_the_documents_it_keeps(big):
    with document_reads(big) as reads:
        r = httpx.get(f"{big.base}/api/v1/attestations", params={"limit": 500}, timeout=60)
    body = r.json()
    assert len(r.content) <= MAX_PAGE_BYTES + 64 * 1024
    assert body["next_cursor"] is not None
    assert served(body) <= MAX_PAGE_BYTES < served(body) + MIB + 200  # full up to the next document
    # Only the documents served were read: before, all 501 rows came back with their documents.
    assert sum(reads) == len(body["items"]), reads

    items, sizes = walk(big.base, "/api/v1/attestations", "cursor", "next_cursor")
    assert [e["attestation"]["sequence"] for e in items] == list(range(64, -1, -1))
    assert max(sizes) <= MAX_PAGE_BYTES + 64 * 1024


def test_pending_pages_are_capped_too(big):
    with document_reads(big) as reads:
        r = httpx.get(f"{big.base}/api/v1/attestations/pending", params={"limit": 500}, timeout=60)
    body = r.json()
    assert len(r.content) <= MAX_PAGE_BYTES + 64 * 1024 and body["next_after"] is not None
    assert served(body) <= MAX_PAGE_BYTES < served(body) + MIB + 200
    assert [e["attestation"]["sequence"] for e in body["items"]] == list(range(30, 30 + len(body["items"])))
    assert sum(reads) == len(body["items"]), reads
    items, sizes = walk(big.base, "/api/v1/attestations/pending", "after", "next_after")
    assert [e["attestation"]["sequence"] for e in items] == list(range(30, 65))
    assert max(sizes) <= MAX_PAGE_BYTES + 64 * 1024


def test_a_single_document_over_the_cap_is_still_served(live):
    [att] = insert_attestations(live.url, [document(1000, MAX_PAGE_BYTES + 10)], start=1000)
    r = httpx.get(f"{live.base}/api/v1/attestations", params={"limit": 2}, timeout=60)
    body = r.json()
    assert [e["id"] for e in body["items"]] == [att] and body["next_cursor"] is not None


SAMPLES = [
    document(0, 10),
    document(1, 10, extra={"ratio": 0.1, "big": 2**70, "ctl": 'a\x00\x1f\x7f\n"\\</ \u2028 é ✓ 𝄞'}),
    document(2, 10, extra={"f": 1e16, "g": 1e-05}),  # exponents: written differently by the encoder
    document(3, 10, extra={"escaped": "\\u00e9 literal"}),
    json.dumps(json.loads(document(4, 10)), ensure_ascii=True),  # a hand-made row: spaces, \u escapes
    json.dumps({"signatures": [], "format": 1, "sequence": 5}, separators=(",", ":")),  # signatures first
    document(6, 10, extra={"nested": {"signatures": [1, 2]}}),
]


@pytest.mark.parametrize("guardians", [0, 1, 3])
@pytest.mark.parametrize("index", range(len(SAMPLES)))
def test_served_bytes_equal_the_parse_and_encode_path(live, index, guardians):
    """Over real HTTP: the list's bytes are those the old handler encoded from parsed documents."""
    text = SAMPLES[index]
    start = 10_000 + 10 * index + guardians
    doc = json.loads(text)
    doc["sequence"] = start
    text = text.replace(f'"sequence":{index}', f'"sequence":{start}').replace(
        f'"sequence": {index}', f'"sequence": {start}'
    )
    assert json.loads(text) == doc
    [att] = insert_attestations(live.url, [text], start=start)
    insert_guardian_signatures(live.url, att, guardians)
    r = httpx.get(f"{live.base}/api/v1/attestations", params={"limit": 1, "cursor": _cursor(start + 1)}, timeout=30)
    rows = _rows(live, att)
    [expected] = old_bytes([(att, text, rows)])
    assert r.content == b'{"items":[' + expected + b'],"next_cursor":' + _quoted(r) + b',"limit":1}'


def _cursor(sequence: int) -> str:
    from reserves.read.service import encode_cursor

    return encode_cursor(sequence)


def _quoted(r: httpx.Response) -> bytes:
    return msgspec.json.encode(r.json()["next_cursor"])


def _rows(live: Live, att: str) -> list:
    return asyncio.run(_in_fresh_engine(live, att))


async def _in_fresh_engine(live: Live, att: str) -> list:
    from reserves.storage import repository as repo
    from reserves.storage.db import open_database

    db = open_database(live.url)
    try:
        async with db.sessions() as session:
            return (await repo.guardian_signatures(session, [att])).get(att, [])
    finally:
        await db.dispose()


def test_the_fast_path_is_taken_for_engine_documents():
    """The raw text is served for what the engine stores, guardians or not (no parse of the document)."""
    text = document(7, 100)
    assert isinstance(stored.envelope("a" * 64, text)["attestation"], msgspec.Raw)

    class Row:
        key_id, pubkey, sig = "g ✓", "ab" * 32, "cd" * 64

    assert isinstance(stored.envelope("a" * 64, text, [Row()])["attestation"], msgspec.Raw)
    assert isinstance(stored.envelope("a" * 64, SAMPLES[2])["attestation"], dict)


def test_big_pages_are_compressed_in_a_worker_thread_not_by_the_app_layer(big):
    """The app's gzip layer compresses on the event loop (level 9: about a second for 8 MiB); these
    routes opt out of it and compress in a thread, so the bytes decode to the same JSON."""
    from portal.api.compressed import NO_COMPRESSION

    for path in ("/api/v1/attestations", "/api/v1/attestations/pending"):
        handler = big.app.route_handler_method_map[path]["GET"]
        assert handler.opt.get(NO_COMPRESSION) is True
        gz = httpx.get(big.base + path, params={"limit": 3}, headers={"Accept-Encoding": "gzip"}, timeout=60)
        plain = httpx.get(big.base + path, params={"limit": 3}, headers={"Accept-Encoding": "identity"}, timeout=60)
        assert gz.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
        assert gz.content == plain.content and "accept-encoding" in gz.headers["vary"].lower()
