"""The providers member stored with its attestation (migration 0016) and served by GET /api/v1/providers and
the /providers page, on SQLite and on a real PostgreSQL server: amounts beyond 64 bits come back to the
unit, the states before are read back for the next snapshot, and one event is queued per change.

The readings come from test doubles (tests.doubles.adapters.ScriptedBalanceAdapter): no chain holds a
2**255 balance and a 3 * 10**20 sat obligation on cue.
"""

from __future__ import annotations

import json

from sqlalchemy import create_engine, text

from reserves.attestation.members import providers as lp_member
from reserves.storage.db import sync_url
from reserves.storage.migrate import current_revision, head_revision
from tests.portal.rig_portal import rig_portal
from tests.providers.readers import provider

BIG_COLLATERAL = 2**255 + 12_345  # a uint256 balance, 36 decimals
BIG_OBLIGATION = 3 * 10**30 + 7  # 18 decimals: 3 * 10**20 + 1 sat after rounding up, above 2**64


def stored(db_url: str) -> list[tuple[int, dict]]:
    """(sequence, member) of every stored row, read back with a plain engine of its own."""
    engine = create_engine(sync_url(db_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT sequence, member FROM provider_member ORDER BY sequence")).all()
    finally:
        engine.dispose()
    return [(seq, json.loads(member)) for seq, member in rows]


def test_members_beyond_64_bits_are_stored_and_served_exactly_on_each_backend(db_url, tmp_path):
    ob_sat = -(-BIG_OBLIGATION * 10**8 // 10**18)
    col_sat = BIG_COLLATERAL * 10**8 // 10**36
    assert ob_sat == 3 * 10**20 + 1 and ob_sat > 2**64 and col_sat > 2**128
    with rig_portal(tmp_path, db_url) as p:
        assert current_revision(db_url) == head_revision()
        p.rig.sources.providers = [
            provider("lp-big", BIG_OBLIGATION, BIG_COLLATERAL, 36),
            provider("lp-short", BIG_OBLIGATION, 10**8, 8),  # 1 BTC against 3 * 10**12 BTC: liquidatable
        ]
        first = p.snapshot()
        second = p.snapshot()
        listing = p.client.get("/api/v1/providers")
        page = p.client.get("/providers")
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert (
        body["attestation"]["id"] == second["id"]
        and body["attestation"]["sequence"] == second["attestation"]["sequence"]
    )
    big, short = body["providers"]
    assert big["name"] == "lp-big" and big["collateral"]["amount"] == str(BIG_COLLATERAL)
    assert big["obligation"]["amount"] == str(BIG_OBLIGATION)
    assert (big["collateral"]["value_sat"], big["obligation"]["value_sat"]) == (str(col_sat), str(ob_sat))
    assert big["ratio_bp"] == str(col_sat * 10_000 // ob_sat) and big["state"] == "healthy"
    assert short["state"] == "liquidatable" and short["ratio_bp"] == "0"
    assert short["penalty_sat"] == str(-(-ob_sat * 1_000 // 10_000)) and int(short["penalty_sat"]) > 2**64
    assert (big["previous_state"], short["previous_state"]) == ("healthy", "liquidatable")
    assert page.status_code == 200 and 'scope="row">lp-big' in page.text

    rows = stored(db_url)
    assert [seq for seq, _ in rows] == [first["attestation"]["sequence"], second["attestation"]["sequence"]]
    newest = rows[-1][1]
    assert newest["entries"][0]["collateral"]["amount"] == str(BIG_COLLATERAL)
    # What was stored re-derives to itself: every figure, state and penalty, to the unit.
    assert lp_member.check({"issued_at": second["attestation"]["issued_at"], "providers": newest}) == []
    assert [e["previous_state"] for e in rows[0][1]["entries"]] == [None, None]


def test_state_changes_are_queued_once_each_on_each_backend(db_url, tmp_path):
    with rig_portal(tmp_path, db_url) as p:
        short = provider("lp-short", BIG_OBLIGATION, 10**8, 8)
        p.rig.sources.providers = [short]
        seq = [
            p.snapshot()["attestation"]["sequence"],
            p.snapshot()["attestation"]["sequence"],
        ]  # the second: no change
        short.collateral.adapter.raw = 12 * 10**20  # 1.2 * 10**13 BTC against 3 * 10**12 (about 400 %): healthy
        seq.append(p.snapshot()["attestation"]["sequence"])
    engine = create_engine(sync_url(db_url))
    try:
        with engine.connect() as conn:
            query = "SELECT sequence, payload FROM engine_event WHERE kind = 'provider_state_changed' ORDER BY id"
            rows = conn.execute(text(query)).all()
    finally:
        engine.dispose()
    changes = [(n, json.loads(payload)) for n, payload in rows]
    assert [(seq, e["from"], e["to"]) for seq, e in changes] == [
        (0, None, "liquidatable"),
        (2, "liquidatable", "healthy"),
    ]
    assert changes[0][1]["penalty_sat"] == str(-(-(3 * 10**20 + 1) * 1_000 // 10_000))
