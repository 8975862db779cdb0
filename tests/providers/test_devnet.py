"""Providers on the devnet over real HTTP: lp-drift's collateral moved across each line and back,
states with hysteresis on recovery only, one `provider.state_changed` event per change, the API
(hostile parameters included) and the page."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from sqlmodel import select

from chains.devnet.providers import DRIFT_ACCOUNT, DRIFT_OBLIGATION_SAT, usd_units_at
from reserves.attestation.verify import verify_chain
from reserves.storage.engine_models import EngineEventRow
from tests.world import world


def latest_price_e8(w) -> int:
    latest = w.client.get("/api/v1/prices/latest").json()
    assert latest["status"] == "fresh", latest
    return int(latest["price_e8"])


def oracle_price_e8(w) -> int:
    """The devnet market moved one step (a source quoting one value for over its heartbeat is frozen),
    a new round of the oracle over its sources, and the median as the API serves it."""
    w.devnet.prices.tick()
    w.prices()
    return latest_price_e8(w)


def set_drift(w, bp: int) -> None:
    """lp-drift's USDd collateral worth `bp` of its obligation at the oracle's price, confirmed."""
    lps, l2 = w.devnet.providers, w.devnet.evms[1]
    holder = l2.accounts[DRIFT_ACCOUNT]
    price_e8 = oracle_price_e8(w)
    now, want = l2.balance_of(holder, contract=lps.usd), usd_units_at(bp, DRIFT_OBLIGATION_SAT, price_e8) + 100
    if want > now:
        l2.mint(holder, want - now, "00" * 32, 0, contract=lps.usd)
    elif want < now:
        l2.burn(holder, now - want, "x", contract=lps.usd)
    l2.mine(3)


def drift(w, docs: list[dict] | None = None) -> dict:
    doc = w.snapshot(ticks=0)["attestation"]
    if docs is not None:
        docs.append(doc)
    return next(p for p in w.client.get("/api/v1/providers").json()["providers"] if p["name"] == "lp-drift")


def events(w) -> list[dict]:
    async def read():
        async with w.db.sessions() as s:
            rows = (await s.exec(select(EngineEventRow).where(EngineEventRow.kind == "provider_state_changed"))).all()
            return [json.loads(r.payload) for r in rows]

    return [e for e in w.call(read) if e["provider"] == "lp-drift"]


@pytest.mark.timeout(600)
def test_lp_drift_crosses_each_line_down_and_up_with_one_event_per_change(tmp_path):
    path = [
        (16_000, "healthy", None),
        (14_000, "warning", None),
        (15_050, "warning", None),  # above 150 % but inside the band: no recovery, no event
        (11_000, "liquidatable", "5000000"),
        (12_050, "liquidatable", "5000000"),  # inside the band above 120 %
        (12_500, "warning", None),
        (15_500, "healthy", None),
    ]
    with world(tmp_path) as w:
        seen, docs = [], []
        for bp, state, penalty in path:
            set_drift(w, bp)
            p = drift(w, docs)
            assert (bp, p["state"], p["penalty_sat"]) == (bp, state, penalty), p
            assert int(p["ratio_bp"]) in (bp, bp - 1)  # floor of a value rounded down
            assert p["collateral"]["height"] is not None and p["collateral"]["chain_id"] == "eip155:31338"
            seen.append(state)
        changes = [(e["from"], e["to"]) for e in events(w)]
        assert changes == [
            (None, "healthy"),
            ("healthy", "warning"),
            ("warning", "liquidatable"),
            ("liquidatable", "warning"),
            ("warning", "healthy"),
        ]
        # Every state is in the signed attestations, and `reserves verify` re-derives it over the chain.
        member = docs[-1]["providers"]
        assert docs[-1]["format"] == "reserves-attestation/5" and len(member["entries"]) == 3
        assert next(e for e in member["entries"] if e["name"] == "lp-drift")["state"] == "healthy"
        assert [next(e for e in d["providers"]["entries"] if e["name"] == "lp-drift")["state"] for d in docs] == [
            state for _, state, _ in path
        ]
        pub = docs[0]["signers"]["engine"]["pubkey"]
        report = verify_chain(docs, {pub: "engine"}, allow_pending=True)
        assert report.ok, report.failed()
        listing = w.client.get("/api/v1/providers").json()
        usd = next(p for p in listing["providers"] if p["name"] == "lp-drift")["collateral"]
        # 6-decimal dollars shown as dollars and cents (and the exact rest), never as 8-place "BTC".
        assert re.fullmatch(r"\d{1,3}(,\d{3})*\.\d{2}(\d{0,4})", usd["amount_text"]), usd
        assert Decimal(usd["amount_text"].replace(",", "")) * 10**6 == int(usd["amount"])
        assert {p["name"] for p in listing["providers"]} == {"lp-drift", "lp-native", "lp-steady"}
        assert listing["attestation"]["path"].startswith("/api/v1/attestations/")
        price = listing["price"]
        assert price["pair"] == "BTC-USD" and price["fresh"] is True, price
        assert price["source"].startswith("median of ") and "(BTC/USD" in price["source"], price
        assert price["price_e8"] == str(latest_price_e8(w)), price
        assert w.client.get("/api/v1/providers?state=healthy").json()["providers"][0]["state"] == "healthy"
        for hostile in ("solvent", "HEALTHY", "healthy%00", "x" * 5000, "' OR 1=1 --"):
            r = w.client.get("/api/v1/providers", params={"state": hostile})
            assert r.status_code == 400 and r.json()["error"]["code"] in ("invalid_state", "invalid_input"), r.text
        page = w.client.get("/providers")
        assert page.status_code == 200
        assert re.search(r"USD collateral valued at \d{1,3}(,\d{3})*\.\d\d USD per BTC \(median of", page.text)
        assert "<caption>Liquidity providers" in page.text and 'scope="row">lp-drift' in page.text
        assert "healthy" in page.text and "Penalty on a default" in page.text
        overview = w.client.get("/").text
        assert 'href="/providers"' in overview
        assert re.search(r"Lowest ratio: lp-(drift|native|steady) at \d+\.\d\d%", overview), overview


def test_providers_removed_are_no_longer_shown_as_current(tmp_path):
    with world(tmp_path) as w:
        first = w.snapshot(ticks=0)["attestation"]
        assert first["providers"] is not None and len(w.client.get("/api/v1/providers").json()["providers"]) == 3
        w.worker.context.sources.providers = []  # the operator removed every [[providers]] entry
        second = w.snapshot(ticks=0)["attestation"]
        assert second["format"] == "reserves-attestation/5" and second["providers"] is None  # never back to 4
        listing = w.client.get("/api/v1/providers").json()
        assert listing["providers"] == [] and listing["attestation"] is None and listing["price"] is None
        assert "lp-drift" not in w.client.get("/providers").text
