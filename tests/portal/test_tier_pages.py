"""The reserve tiers and locked contracts on the pages, through the app on the real devnet: the overview's tier
lines and the /reserves tables show the newest attestation's `tiers` member (the figures GET
/api/v1/reserves/tiers serves), before and after the short contract expires and `locked` leaves its band;
how far each contract is from unlocking (blocks from the tip, time from the issue time; not signed), in
the API's `unlocking` and the page's "Until unlock" column, time locks and spent contracts included;
a chain without tiers (format 4) shows one line and no table; unknown parameters change nothing."""

from __future__ import annotations

import copy
import hashlib
import html as html_lib
import json
import re
from dataclasses import replace
from datetime import datetime

import pytest

from chains.devnet.btc_wallet import CONTRACT_AFTER_HEIGHTS
from reserves.settings.tiers import TiersSettings
from reserves.storage.models import AttestationRow
from tests.support import serve_now
from tests.world import world

SHORT_UNLOCK = CONTRACT_AFTER_HEIGHTS["dlc-short"]


def as_btc(sat: str) -> str:
    """Satoshis as the pages write BTC, computed here on its own: 8 places, thousands grouped."""
    whole, frac = divmod(int(sat), 10**8)
    return f"{whole:,}.{frac:08d}"


def as_percent(bp: str) -> str:
    return f"{int(bp) // 100}.{int(bp) % 100:02d}%"


def section(page: str, anchor: str, end: str = "</section>") -> str:
    start = page.index(anchor)
    return page[start : page.index(end, start)]


def tier_lines(page: str) -> list[tuple[str, str]]:
    """(tier, its line's text) of the overview's reserves card."""
    card = section(page, 'id="area-reserves"', "</article>")
    found = re.findall(r'<li data-tier="([^"]+)">(.*?)</li>', card, flags=re.S)
    return [(name, " ".join(re.sub(r"<[^>]+>", "", text).split())) for name, text in found]


def row(page: str, attribute: str, name: str) -> str:
    start = page.index(f'<tr {attribute}="{name}"')
    return page[start : page.index("</tr>", start)]


def cells(tr: str) -> list[str]:
    """The text of each cell of a row, tags dropped, whitespace collapsed."""
    found = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, flags=re.S)
    return [" ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in found]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The world after two snapshots: the first with both contracts active (pages kept), the newest with
    dlc-short expired and `locked` outside its band."""
    with world(tmp_path_factory.mktemp("tierpages")) as w:
        first = w.snapshot(ticks=0)
        before = {"/": w.client.get("/").text, "/reserves": w.client.get("/reserves").text}
        before["api"] = w.client.get("/api/v1/reserves/tiers").json()
        tip = first["attestation"]["reserves"]["valid_at"]["height"]
        while tip <= SHORT_UNLOCK:
            tip = w.snapshot(ticks=min(40, SHORT_UNLOCK + 1 - tip))["attestation"]["reserves"]["valid_at"]["height"]
        yield w, first, before


def tiers_api(w) -> dict:
    answer = w.client.get("/api/v1/reserves/tiers")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "public, max-age=5"
    return answer.json()


def assert_tier_rows(page: str, member: dict) -> None:
    table = section(page, 'id="tiers-section"')
    assert "<caption" in table and 'role="region"' in table and 'tabindex="0"' in table
    for t in member["tiers"]:
        words = {True: "yes: in band", False: "no: outside its band", None: "share unknown"}[t["in_band"]]
        got = cells(row(table, "data-tier", t["name"]))
        want = [
            as_btc(t["amount_sat"]) + " BTC",
            as_percent(t["share_bp"]),
            as_percent(t["target_bp"]),
            "± " + as_percent(t["band_bp"]),
            words,
        ]
        assert got[0].startswith(t["name"]) and got[1] == ", ".join(t["wallets"]) and got[2:] == want, got


def test_before_expiry_every_tier_is_in_band_and_both_contracts_active(run):
    _, first, before = run
    member = first["attestation"]["tiers"]
    assert all(t["in_band"] for t in member["tiers"])  # the devnet starts inside both bands
    assert_tier_rows(before["/reserves"], member)
    contracts = section(before["/reserves"], 'id="contracts-section"')
    for name in CONTRACT_AFTER_HEIGHTS:
        assert cells(row(contracts, "data-contract", name))[7] == "active"
    assert 'id="tier-findings-none"' in before["/reserves"]
    lines = tier_lines(before["/"])
    assert len(lines) == len(member["tiers"]) and all(text.endswith(": in band") for _, text in lines), lines


def test_the_reserves_page_shows_the_member_as_signed(run):
    w, _, _ = run
    data = tiers_api(w)
    page = w.client.get("/reserves").text
    member = data["tiers"]
    assert f'<a href="/attestations/{data["id"]}">#{data["sequence"]}</a>' in section(page, 'id="tiers-section"')
    assert_tier_rows(page, member)
    locked = row(page, "data-tier", "locked")
    assert 'data-in-band="no"' in locked and '<span class="reason">no: outside its band</span>' in locked


def test_the_expired_contract_shows_its_status_observation_and_finding(run):
    w, _, _ = run
    member = tiers_api(w)["tiers"]
    contracts = section(w.client.get("/reserves").text, 'id="contracts-section"')
    for c in member["contracts"]:
        tr = row(contracts, "data-contract", c["name"])
        outpoint = f"{c['txid']}:{c['vout']}"
        # Outpoint and script hash as every hash: truncated by CSS, the whole value in the title and the copy button.
        for value in (outpoint, c["script_hash"]):
            assert f'<code class="hash" title="{value}"' in tr and f'data-copy="{value}"' in tr
        got = cells(tr)
        assert got[0] == c["name"] and got[2] == f"{c['wallet']} tier {c['tier']}"
        assert got[3] == as_btc(c["amount_sat"]) + " BTC" and got[5] == f"after block {c['unlock']['at']}"
        assert got[7] == c["status"] and got[8] == "counted in the reserves"
        assert got[9] == (", ".join(f.replace("_", " ") for f in c["findings"]) or "none")
    short = cells(row(contracts, "data-contract", "dlc-short"))
    assert (short[5], short[6], short[7], short[9]) == (f"after block {SHORT_UNLOCK}", "unlocked", "expired", "expired")
    assert cells(row(contracts, "data-contract", "dlc-long"))[7] == "active"


def test_the_findings_are_the_members_with_their_codes_explained(run):
    w, _, _ = run
    member = tiers_api(w)["tiers"]
    findings = section(w.client.get("/reserves").text, 'id="tier-findings-section"')
    items = re.findall(r'<li data-code="([a-z_]+)">(.*?)</li>', findings, flags=re.S)
    assert [code for code, _ in items] == [f["code"] for f in member["findings"]]
    texts = {code: " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", text)).split()) for code, text in items}
    assert (
        "tier_out_of_band (policy, locked): the tier's share of the reserves is outside its declared band."
        in (texts["tier_out_of_band"])
    )
    assert "expired (contract, dlc-short): the time lock is open: the contract counts as liquid now" in texts["expired"]
    out = next(f for f in member["findings"] if f["code"] == "tier_out_of_band")
    assert html_lib.escape(out["detail"]) in findings


def test_the_overview_has_one_line_per_tier_in_words(run):
    w, _, _ = run
    member = tiers_api(w)["tiers"]
    page = w.client.get("/").text
    lines = tier_lines(page)
    assert [name for name, _ in lines] == [t["name"] for t in member["tiers"]]
    for (_, text), t in zip(lines, member["tiers"]):
        words = "in band" if t["in_band"] else "outside its band"
        target = as_percent(t["target_bp"]).rstrip("%")
        assert text == f"{t['name']} {as_percent(t['share_bp'])}, target {target} ± {as_percent(t['band_bp'])}: {words}"
    assert dict(lines)["locked"].endswith("outside its band")
    card = section(page, 'id="area-reserves"', "</article>")
    assert '<span class="reason">outside its band</span>' in card  # the words, and the colour beside them


@pytest.mark.parametrize(
    "params",
    [
        {"tier": "<script>alert(1)</script>"},
        {"contract": "dlc-short", "status": "active"},
        {"x": "\u202e" * 50, "sequence": "-1"},
    ],
)
def test_parameters_do_not_change_the_tier_sections(run, params):
    w, _, _ = run
    for path, anchors in (
        ("/reserves", ('id="tiers-section"', 'id="contracts-section"', 'id="tier-findings-section"')),
        ("/", ('id="tier-lines"',)),
    ):
        plain = w.client.get(path).text
        asked = w.client.get(path, params=params)
        assert asked.status_code == 200 and "<script>alert" not in asked.text
        for anchor in anchors:
            end = "</ul>" if anchor == 'id="tier-lines"' else "</section>"
            assert section(asked.text, anchor, end) == section(plain, anchor, end), (path, anchor)


def test_a_chain_without_tiers_shows_one_line_and_no_table(tmp_path_factory):
    with world(tmp_path_factory.mktemp("notiers")) as w:
        ctx = w.worker.context
        w.worker.context = replace(ctx, settings=replace(ctx.settings, tiers=TiersSettings()))
        env = w.snapshot(ticks=0)
        # The devnet declares providers, so the chain is format 5 still, with `tiers` null.
        assert env["attestation"]["format"] == "reserves-attestation/5" and env["attestation"]["tiers"] is None
        assert tiers_api(w)["tiers"] is None and tiers_api(w)["unlocking"] is None
        page = w.client.get("/reserves").text
        assert 'id="tiers-none"' in page and "No reserve tiers are declared" in page
        for anchor in ('id="tiers"', 'id="contracts"', 'id="tier-findings', "data-tier="):
            assert anchor not in page, anchor
        overview = w.client.get("/").text
        assert 'id="area-reserves"' in overview and "tier-lines" not in overview and "data-tier=" not in overview


# -- how far each contract is from unlocking ---------------------------------------------------------


def blocks_words(blocks: int) -> str:
    """The page's words for a height lock `blocks` away, worked out here: blocks, then 600 s each in the largest
    unit that fits, rounded to the nearest."""
    seconds = blocks * 600
    for unit, name, below in ((60, "minute", 3600), (3600, "hour", 172_800), (86_400, "day", 5_184_000)):
        if seconds < below:
            n = max(1, (seconds + unit // 2) // unit)
            return f"{blocks:,} block{'s' if blocks != 1 else ''}, about {n} {name}{'s' if n != 1 else ''}"
    raise AssertionError(f"{blocks} blocks: more than the devnet's contracts wait")


def test_before_expiry_each_contract_counts_its_blocks_from_the_tip(run):
    _, first, before = run
    data = before["api"]
    tip = first["attestation"]["reserves"]["valid_at"]["height"]
    assert (
        data["unlocking"]["tip_height"] == tip and data["unlocking"]["issued_at"] == first["attestation"]["issued_at"]
    )
    assert data["unlocking"]["seconds_per_block"] == 600
    assert [c["name"] for c in data["unlocking"]["contracts"]] == [c["name"] for c in data["tiers"]["contracts"]]
    contracts = section(before["/reserves"], 'id="contracts-section"')
    assert '<th scope="col">Until unlock</th>' in contracts and 'id="contracts-unlock-note"' in contracts
    for left in data["unlocking"]["contracts"]:
        at = CONTRACT_AFTER_HEIGHTS[left["name"]]
        assert left == {
            "name": left["name"],
            "kind": "height",
            "at": at,
            "unlocked": False,
            "blocks_left": at - tip,
            "seconds_left": (at - tip) * 600,
            "estimated": True,
        }
        tr = row(contracts, "data-contract", left["name"])
        assert 'data-unlocked="no"' in tr and cells(tr)[6] == blocks_words(at - tip)


def test_an_expired_contract_is_unlocked_and_the_other_counts_on(run):
    w, _, _ = run
    data = tiers_api(w)
    tip = w.client.get("/api/v1/attestations/latest").json()["attestation"]["reserves"]["valid_at"]["height"]
    left = {c["name"]: c for c in data["unlocking"]["contracts"]}
    assert data["unlocking"]["tip_height"] == tip > SHORT_UNLOCK
    short, long_ = left["dlc-short"], left["dlc-long"]
    assert (short["unlocked"], short["blocks_left"], short["seconds_left"]) == (True, 0, 0)
    long_at = CONTRACT_AFTER_HEIGHTS["dlc-long"]
    assert (long_["unlocked"], long_["blocks_left"], long_["seconds_left"]) == (
        False,
        long_at - tip,
        (long_at - tip) * 600,
    )
    contracts = section(w.client.get("/reserves").text, 'id="contracts-section"')
    assert 'data-unlocked="yes"' in row(contracts, "data-contract", "dlc-short")
    assert cells(row(contracts, "data-contract", "dlc-long"))[6] == blocks_words(long_at - tip)


def test_the_countdown_is_never_in_the_signed_document(run):
    w, _, _ = run
    data = tiers_api(w)
    signed = w.client.get(f"/api/v1/attestations/{data['id']}").json()["attestation"]
    assert data["tiers"] == signed["tiers"] and "unlocking" not in json.dumps(signed)
    assert not any(k in json.dumps(signed) for k in ('"blocks_left"', '"seconds_left"'))


def _store_next(w, previous: dict, body: dict) -> None:
    """`body` stored as the attestation after `previous` (unsigned, as tests/portal/supply_samples.py stores
    hand-made ones): the web role serves whatever the newest stored document says."""
    document = json.dumps(body)
    row = AttestationRow(
        id=hashlib.sha256(document.encode()).hexdigest(),
        sequence=body["sequence"],
        previous=previous["id"],
        issued_at=datetime.fromisoformat(body["issued_at"].replace("Z", "+00:00")),
        status=body["status"],
        ratio_bp=None if body["ratio_bp"] is None else int(body["ratio_bp"]),
        reserves_sat=int(body["reserves"]["total_sat"]),
        liabilities_sat=int(body["supply"]["total_sat"]),
        document=document,
        reserves_height=body["reserves"]["valid_at"]["height"],
    )

    async def store():
        async with w.db.sessions() as session:
            async with session.begin():
                session.add(row)

    w.call(store)
    serve_now(w.client)


def test_time_locks_count_from_the_issue_time_and_a_spent_contract_has_nothing_left(tmp_path_factory):
    with world(tmp_path_factory.mktemp("unlocktimes")) as w:
        env = w.snapshot(ticks=0)
        body = copy.deepcopy(env["attestation"])
        issued = int(datetime.fromisoformat(body["issued_at"].replace("Z", "+00:00")).timestamp())
        by_name = {c["name"]: c for c in body["tiers"]["contracts"]}
        # The devnet's contracts are height locks; the document is rewritten as if they were these.
        by_name["dlc-long"]["unlock"] = {"kind": "time", "at": issued + 3 * 86_400 + 7_200}
        by_name["dlc-short"]["status"] = "spent"
        past = copy.deepcopy(by_name["dlc-long"]) | {"name": "dlc-past", "unlock": {"kind": "time", "at": issued - 60}}
        body["tiers"]["contracts"].append(past)
        body["sequence"] += 1
        _store_next(w, env, body)

        data = tiers_api(w)
        assert data["sequence"] == body["sequence"] and data["tiers"] == body["tiers"]
        left = {c["name"]: c for c in data["unlocking"]["contracts"]}
        assert left["dlc-long"] == {
            "name": "dlc-long",
            "kind": "time",
            "at": issued + 3 * 86_400 + 7_200,
            "unlocked": False,
            "blocks_left": None,
            "seconds_left": 3 * 86_400 + 7_200,
            "estimated": False,
        }
        assert (left["dlc-past"]["unlocked"], left["dlc-past"]["seconds_left"]) == (True, 0)  # by the clock
        spent = left["dlc-short"]
        assert (spent["unlocked"], spent["blocks_left"], spent["seconds_left"]) == (None, None, None)

        contracts = section(w.client.get("/reserves").text, 'id="contracts-section"')
        long_row, past_row = row(contracts, "data-contract", "dlc-long"), row(contracts, "data-contract", "dlc-past")
        assert cells(long_row)[6] == "about 3 days" and 'data-unlocked="no"' in long_row
        assert cells(past_row)[6] == "unlocked" and cells(past_row)[7] == "active"  # the chain's clock lags
        short_row = row(contracts, "data-contract", "dlc-short")
        assert cells(short_row)[6] == "not applicable: spent" and 'data-unlocked="unknown"' in short_row
