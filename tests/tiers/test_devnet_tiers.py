"""The devnet's tiers and locked contracts over real HTTP: the short contract expires and moves to `liquid`, the
`locked` tier leaves its band once (one event), the status stays the ratio's, `reserves verify` agrees."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from chains.devnet.btc_wallet import CONTRACT_AFTER_HEIGHTS
from reserves.attestation.verify import verify_chain
from reserves.storage.engine_models import EngineEventRow
from tests.world import world


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    with world(tmp_path_factory.mktemp("tiers")) as running:
        yield running


def _events(w, kind: str) -> list[dict]:
    async def read():
        async with w.db.sessions() as session:
            rows = (await session.exec(select(EngineEventRow).where(EngineEventRow.kind == kind))).all()
        return [json.loads(r.payload) for r in rows]

    return w.call(read)


def _tier(doc: dict, name: str) -> dict:
    return next(t for t in doc["tiers"]["tiers"] if t["name"] == name)


def _contract(doc: dict, name: str) -> dict:
    return next(c for c in doc["tiers"]["contracts"] if c["name"] == name)


def test_the_short_contract_expires_into_liquid_and_the_band_is_left_once(w):
    first = w.snapshot(ticks=0)["attestation"]
    assert first["format"] == "reserves-attestation/5"
    short, long_ = _contract(first, "dlc-short"), _contract(first, "dlc-long")
    assert (short["status"], short["findings"], long_["status"]) == ("active", [], "active")
    assert short["lock"] == {"kind": "height", "until": CONTRACT_AFTER_HEIGHTS["dlc-short"] + 1, "relative": False}
    assert _tier(first, "locked")["in_band"] is True
    locked_before = int(_tier(first, "locked")["amount_sat"])
    tip = first["reserves"]["valid_at"]["height"]
    history = [first]
    while tip <= CONTRACT_AFTER_HEIGHTS["dlc-short"]:
        history.append(w.snapshot(ticks=min(40, CONTRACT_AFTER_HEIGHTS["dlc-short"] + 1 - tip))["attestation"])
        tip = history[-1]["reserves"]["valid_at"]["height"]
    last = history[-1]
    short = _contract(last, "dlc-short")
    assert (short["status"], short["findings"], short["lock"]) == ("expired", ["expired"], None)
    assert _contract(last, "dlc-long")["status"] == "active"
    locked = _tier(last, "locked")
    assert int(locked["amount_sat"]) <= locked_before - 200_000_000 + 10**9  # the 2 BTC left (vault deposits vary)
    assert locked["in_band"] is False and any(f["code"] == "tier_out_of_band" for f in last["tiers"]["findings"])
    # The status is the ratio's: the policy finding changes nothing of it.
    assert last["status"] in ("healthy", "warning") and not any("tier" in r for r in last["status_reasons"])
    crossings = [e for e in _events(w, "tier_band_crossed") if e["tier"] == "locked"]
    assert [e["in_band"] for e in crossings] == [False]
    changes = [e for e in _events(w, "contract_changed") if e["contract"] == "dlc-short"]
    assert [(e["from_status"], e["status"]) for e in changes] == [("pending", "active"), ("active", "expired")]
    # One more snapshot out of band: no second event.
    history.append(w.snapshot()["attestation"])
    assert len([e for e in _events(w, "tier_band_crossed") if e["tier"] == "locked"]) == 1
    pub = history[0]["signers"]["engine"]["pubkey"]
    report = verify_chain(history, {pub: "engine"}, allow_pending=True)
    assert report.ok, report.failed()


def test_the_api_serves_the_newest_tiers_member(w):
    env = w.snapshot()
    answer = w.client.get("/api/v1/reserves/tiers")
    assert answer.status_code == 200
    data = answer.json()
    assert (data["id"], data["sequence"]) == (env["id"], env["attestation"]["sequence"])
    assert data["tiers"] == env["attestation"]["tiers"]
    assert {c["name"] for c in data["tiers"]["contracts"]} == set(CONTRACT_AFTER_HEIGHTS)
