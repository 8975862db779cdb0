"""The feed of status changes: read from the outbox on every backend (reserves.read.status_feed), built
as Atom 1.0 (portal.pages.atom) with stable ids, escaped text and the links RFC 4287 asks for."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree as ET

import pytest

from portal.pages.atom import EPOCH, FeedInfo, entry_id, entry_title, feed_id, feed_xml
from reserves.attestation.keys import SigningKey
from reserves.errors import InvalidInput
from reserves.read.service import ReserveService
from reserves.read.status_feed import StatusChange, StatusChanges
from reserves.settings.load import default_settings
from reserves.storage.db import open_database
from reserves.storage.engine_models import EngineEventRow
from tests.doubles.adapters import (
    BackendDown,
    ScriptedReserveAdapter,
    ScriptedSupplyAdapter,
    reserve_reading,
    supply_reading,
)
from tests.engine_rig import Rig, source, take_snapshot

A = "{http://www.w3.org/2005/Atom}"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
INFO = FeedInfo("RBTC", "Devnet custodian", "https://issuer.example/")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def change(n: int, before: str | None, after: str, ratio: str | None = "10000", **kw) -> StatusChange:
    return StatusChange(
        event_id=n,
        attestation_id=f"{n:064x}",
        sequence=n,
        at=T0 + timedelta(minutes=n),
        from_status=before,
        to_status=after,
        ratio_bp=ratio,
        reason=kw.get("reason", f"{before or 'none'} -> {after}: why"),
    )


def parse(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == A + "feed"
    return root


def assert_valid_atom(root: ET.Element) -> None:
    """RFC 4287's required elements: the feed's id, title, updated, author (no entry has one) and
    self link; each entry's id, title, updated and alternate link; dates as RFC 3339; ids unique."""
    for name in ("id", "title", "updated", "author"):
        assert len(root.findall(A + name)) == 1, name
    assert root.find(f"{A}author/{A}name").text
    assert RFC3339.match(root.find(A + "updated").text)
    rels = {link.get("rel"): link.get("href") for link in root.findall(A + "link")}
    assert rels == {"self": "/feed.atom", "alternate": "/"}
    ids = [root.find(A + "id").text]
    for entry in root.findall(A + "entry"):
        for name in ("id", "title", "updated", "summary", "content"):
            assert len(entry.findall(A + name)) == 1, name
        assert RFC3339.match(entry.find(A + "updated").text)
        assert entry.find(A + "content").get("type") == "text"
        assert any(link.get("rel") == "alternate" for link in entry.findall(A + "link"))
        ids.append(entry.find(A + "id").text)
    assert len(set(ids)) == len(ids) and all(i.startswith("urn:uuid:") for i in ids)


# ---- the Atom document, from changes given ----


def test_entries_newest_first_with_titles_links_and_stable_ids():
    changes = [
        change(3, "warning", "healthy", "10042"),
        change(2, "healthy", "warning", "9980"),
        change(1, "healthy", "stale", None),
        change(0, None, "healthy", "10042"),
    ]
    root = parse(feed_xml(INFO, StatusChanges(f"{0:064x}", changes)))
    assert_valid_atom(root)
    entries = root.findall(A + "entry")
    assert [e.find(A + "title").text for e in entries] == [
        "warning \u2192 healthy: ratio 100.42%",
        "healthy \u2192 warning: ratio 99.80%",
        "healthy \u2192 stale: no ratio",
        "healthy (first attestation): ratio 100.42%",
    ]
    assert root.find(A + "updated").text == "2026-11-01T12:03:00Z" == entries[0].find(A + "updated").text
    links = {link.get("rel"): link for link in entries[1].findall(A + "link")}
    assert links["alternate"].get("href") == f"/attestations/{2:064x}" and links["alternate"].get("type") == "text/html"
    assert links["related"].get("href") == f"/api/v1/attestations/{2:064x}"
    assert entries[1].find(A + "category").get("term") == "warning"
    content = entries[1].find(A + "content").text
    assert "Status: warning (was healthy)" in content and "Ratio: 99.80%" in content and f"{2:064x}" in content
    # Ids depend on the attestation alone: the same in every build, on every replica.
    assert entries[1].find(A + "id").text == entry_id(f"{2:064x}")
    again = parse(feed_xml(INFO, StatusChanges(f"{0:064x}", changes[1:])))
    assert again.find(A + "entry").find(A + "id").text == entry_id(f"{2:064x}")
    assert again.find(A + "id").text == root.find(A + "id").text == feed_id(f"{0:064x}")
    assert feed_id(f"{1:064x}") != feed_id(f"{0:064x}") and entry_id("a" * 64) != entry_id("b" * 64)
    assert root.find(f"{A}author/{A}uri").text == "https://issuer.example/"


def test_an_empty_feed_is_valid_and_fixed():
    data = feed_xml(INFO, StatusChanges(None, []))
    root = parse(data)
    assert_valid_atom(root)
    assert root.find(A + "updated").text == EPOCH and root.findall(A + "entry") == []
    assert feed_xml(INFO, StatusChanges(None, [])) == data  # same bytes, same ETag
    assert parse(feed_xml(replace(INFO, issuer_url=None), StatusChanges(None, []))).find(f"{A}author/{A}uri") is None


def test_text_is_escaped_never_markup():
    hostile = '<b>x</b> & <script>alert("x")</script> ]]> \x00\x1b'
    info = FeedInfo(hostile, hostile)
    data = feed_xml(info, StatusChanges(None, [change(1, "healthy", "warning", reason=hostile)]))
    root = parse(data)
    assert b"<script" not in data and b"<b>" not in data
    entry = root.find(A + "entry")
    assert entry.find(A + "summary").text == hostile.replace("\x00", "\ufffd").replace("\x1b", "\ufffd")
    assert root.find(f"{A}author/{A}name").text.startswith("<b>x</b> &")
    assert all(e.get("type") in (None, "text") for e in root.iter() if e.tag in (A + "title", A + "summary"))


def test_entry_title_without_a_ratio():
    assert entry_title(change(5, "healthy", "stale", None)) == "healthy \u2192 stale: no ratio"


# ---- the changes, read from the outbox on every backend ----


@pytest.fixture
async def rt(migrated_db_url, tmp_path):
    settings = replace(default_settings(tmp_path), devnet=replace(default_settings(tmp_path).devnet, enabled=False))
    rig = Rig(open_database(migrated_db_url), settings, SigningKey(os.urandom(32)))
    rig.reserve_sources = [source(ScriptedReserveAdapter("cold", reserve_reading("cold", [60_000, 50_000])), "reserve")]
    rig.supply_sources = [source(ScriptedSupplyAdapter("eth", supply_reading("eth", 100_000)), "supply")]
    yield rig
    await rig.db.dispose()


async def test_every_published_change_newest_first_and_nothing_else(rt):
    # healthy, healthy, warning, warning, healthy, stale (a source failed), then its level again
    script = [(100_000, False)] * 2 + [(107_900, False)] * 2 + [(100_000, False), (100_000, True), (100_000, False)]
    bodies = [await take_with(rt, supply, failed) for supply, failed in script]
    expected = [
        (b["sequence"], prev, b["status"])
        for prev, b in zip([None] + [x["status"] for x in bodies], bodies, strict=False)
        if b["status"] != prev
    ][::-1]
    feed = await ReserveService(rt.db, rt.settings).status_changes()
    assert [(c.sequence, c.from_status, c.to_status) for c in feed.changes] == expected
    assert {"healthy", "warning", "stale"} <= {c.to_status for c in feed.changes}
    assert len(feed.changes) < len(bodies)  # an unchanged status is no entry
    assert feed.first_attestation_id == bodies[0]["__id"]
    newest = feed.changes[0]
    assert newest.attestation_id == bodies[newest.sequence]["__id"]
    assert newest.ratio_bp == bodies[newest.sequence]["ratio_bp"] and newest.reason
    assert [c.event_id for c in feed.changes] == sorted((c.event_id for c in feed.changes), reverse=True)


async def take_with(rig: Rig, supply: int, failed: bool) -> dict:
    token = rig.supply_sources[0].adapter
    token.reading, token.error = supply_reading("eth", supply), BackendDown("down") if failed else None
    env = await take_snapshot(rig)
    return env["attestation"] | {"__id": env["id"]}


async def test_the_feed_is_bounded_and_skips_what_it_cannot_read(rt):
    for supply in (100_000, 107_900, 100_000, 107_900):
        await take_with(rt, supply, False)
    service = ReserveService(rt.db, rt.settings)
    assert len((await service.status_changes()).changes) == 4
    assert [c.to_status for c in (await service.status_changes(2)).changes] == ["warning", "healthy"]
    for bad in (0, -1, 501, True, "5"):
        with pytest.raises(InvalidInput, match="limit"):
            await service.status_changes(bad)
    async with rt.db.sessions() as session, session.begin():
        for payload in ("not json", "[]", '{"from": "healthy"}', '{"to": 5}'):
            session.add(
                EngineEventRow(at=T0, kind="status_changed", sequence=9, attestation_id="f" * 64, payload=payload)
            )
        session.add(EngineEventRow(at=T0, kind="status_changed", payload='{"to": "healthy"}'))  # names no attestation
    feed = await service.status_changes()
    assert len(feed.changes) == 4 and feed.changes[0].to_status == "warning"


async def test_no_attestation_no_change(rt):
    feed = await ReserveService(rt.db, rt.settings).status_changes()
    assert feed == StatusChanges(None, [])
