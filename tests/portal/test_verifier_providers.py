"""The browser verifier's `providers` arithmetic (portal/static_src/verify/providers.js) agrees with
members/providers.py on many generated members: node runs the ES module itself over members built by the
engine's own code (legs failing, too old, in the future, USD without a price or with a stale one, values
beyond 78 digits, each threshold line and its band crossed from each state before) and over tampered copies
of them; the JS problems, derived figures and chain problems must be Python's, string for string."""

from __future__ import annotations

import copy
import dataclasses
import json
import random
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from chains.base import BlockRef
from reserves.attestation import arithmetic as ar
from reserves.attestation import collateral as co
from reserves.attestation.members import providers as lp
from tests.support import require

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "portal" / "static_src" / "verify"
SEED = 20270110
MEMBERS = 300
BTC_CHAIN = "bip122:0f9188f13cb7b2c71f2a335e3a4fc328"
EVM_CHAIN = "eip155:31338"
STATES = (None, "healthy", "warning", "liquidatable", "unknown")
# Names that sort differently by code point (Python) and by UTF-16 code unit (Array.prototype.sort), and
# names with quotes, which Python's repr() spells its own way.
NAMES = ("lp-a", "lp-b", "lp-\ufffd", "lp-\U0001f600", "lp-o'neil", 'lp-"q"', "LP-Z", "lp-é", "lp-\u2028x")

# Runs providers.js on the cases (read with the verifier's own JSON parser) and prints what it gives.
RUNNER = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [dir, path] = process.argv.slice(2);
const load = (name) => import(pathToFileURL(`${dir}/${name}`).href);
const { checkProviders, chainProviders, derive, derivedJson, readThresholds } = await load("providers.js");
const { parseJson } = await load("json.js");
const { parseTimestamp } = await load("rules.js");
const cases = parseJson(readFileSync(path, "utf8"));
const derived = (doc) => {
  const t = readThresholds(doc.providers);
  const issued = parseTimestamp(doc.issued_at);
  return doc.providers.entries.map((e) => derivedJson(derive(e, issued, t, doc.providers.price)));
};
process.stdout.write(JSON.stringify({
  checks: cases.docs.map(checkProviders),
  derived: cases.genuine.map(derived),
  chains: cases.pairs.map(([a, b]) => chainProviders(a, b)),
}));
"""


def node_run(tmp_path: Path, cases: dict) -> dict:
    node = shutil.which("node")
    require(node is not None, "node not installed")
    (tmp_path / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    (tmp_path / "run.mjs").write_text(RUNNER, encoding="utf-8")
    done = subprocess.run(
        [node, str(tmp_path / "run.mjs"), str(SOURCES), str(tmp_path / "cases.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def as_json(d: lp.Derived) -> dict:
    """A derivation as an entry lists it (amounts as decimal strings)."""
    return {key: str(v) if isinstance(v, int) else v for key, v in dataclasses.asdict(d).items()}


# ---- generating members with the engine's own code ----


def _block(rng: random.Random, chain: str, issued: datetime, max_age: int) -> BlockRef:
    age = rng.choice(
        [
            0,
            rng.randint(0, max_age),
            max_age,  # exactly max_age: still fresh
            max_age + 1,  # too old
            max_age + rng.randint(2, 10**6),
            -ar.MAX_FUTURE_BLOCK_SECONDS,  # exactly the allowance: not in the future
            -ar.MAX_FUTURE_BLOCK_SECONDS - 1,  # in the future
            -rng.randint(1, ar.MAX_FUTURE_BLOCK_SECONDS),
            -rng.randint(ar.MAX_FUTURE_BLOCK_SECONDS + 2, 10**7),
        ]
    )
    digest = f"{rng.getrandbits(256):064x}"
    return BlockRef(
        chain,
        rng.randint(0, 10**7),
        digest if chain.startswith("bip122") else "0x" + digest,
        issued - timedelta(seconds=age),
    )


def _leg(rng: random.Random, issued: datetime, asset: str, amount: int | None, decimals: int) -> lp.LegResult:
    kind = rng.choice(("bitcoin", "evm-erc20", "evm-native")) if asset == "BTC" else "evm-erc20"
    chain = BTC_CHAIN if kind == "bitcoin" else EVM_CHAIN
    token = "0x" + "cd" * 20 if kind == "evm-erc20" else None
    max_age = rng.choice([60, 600, 3600, rng.randint(1, 10**9)])
    base: dict[str, Any] = dict(
        kind=kind,
        chain_id=chain,
        asset=asset,
        decimals=decimals,
        addresses=tuple(f"addr{i}" for i in range(rng.randint(1, 3))),
        max_age_seconds=max_age,
        token=token,
    )
    if amount is None:
        return lp.LegResult(
            **base, error_code=rng.choice(["timeout", "chain_unavailable", "rpc.quorum"]), error_detail="no answer"
        )
    return lp.LegResult(**base, block=_block(rng, chain, issued, max_age), amount=amount)


def _fresh_leg(rng: random.Random, issued: datetime, asset: str, amount: int, decimals: int) -> lp.LegResult:
    leg = _leg(rng, issued, asset, amount, decimals)
    block = BlockRef(leg.chain_id, 1, leg.block.hash, issued - timedelta(seconds=rng.randint(0, leg.max_age_seconds)))
    return lp.LegResult(**{**leg.__dict__, "block": block})


def _thresholds(rng: random.Random) -> co.Thresholds:
    if rng.random() < 0.3:
        return co.Thresholds()
    liq = rng.randint(1, 30_000)
    return co.Thresholds(
        warning_below_bp=rng.randint(liq, liq + 20_000),
        liquidatable_below_bp=liq,
        hysteresis_bp=rng.choice([0, 1, 100, rng.randint(0, 5_000)]),
        penalty_bp=rng.choice([0, 1, 1_000, 10_000, rng.randint(0, 10_000)]),
    )


def _at_a_line(rng: random.Random, t: co.Thresholds, issued: datetime) -> lp.ProviderResult:
    """BTC against BTC (8 decimals: the values are the amounts) at a ratio on, just below or just past a line."""
    liq, warn, band = t.liquidatable_below_bp, t.warning_below_bp, t.hysteresis_bp
    ratio = max(
        0,
        rng.choice([liq - 1, liq, liq + band - 1, liq + band, warn - 1, warn, warn + band - 1, warn + band])
        + rng.choice([0, 0, 0, -1, 1]),
    )
    k = rng.choice([1, 7, 10**4, rng.randint(1, 10**12)])
    ob = _fresh_leg(rng, issued, "BTC", 10_000 * k, 8)
    col = _fresh_leg(rng, issued, "BTC", ratio * k, 8)
    return lp.ProviderResult("", ob, col)


def _any(rng: random.Random, issued: datetime) -> lp.ProviderResult:
    """Any legs: failed, stale, future, huge, USD or BTC, every decimals."""
    ob_dec, col_dec = rng.randint(0, co.MAX_DECIMALS), rng.randint(0, co.MAX_DECIMALS)
    asset = rng.choice(("BTC", "USD"))

    def amount() -> int | None:
        pick = rng.random()
        if pick < 0.12:
            return None  # a failed reading
        if pick < 0.22:
            return rng.choice([0, 10**78 - 1, 10**77, rng.randint(10**70, 10**78 - 1)])  # to pass 78 digits
        return rng.randint(0, 10 ** rng.randint(1, 40))

    return lp.ProviderResult(
        "", _leg(rng, issued, "BTC", amount(), ob_dec), _leg(rng, issued, asset, amount(), col_dec)
    )


def _price(rng: random.Random, issued: datetime) -> co.Price | None:
    pick = rng.random()
    if pick < 0.15:
        return None
    price_e8 = rng.choice([9_712_345_000_000, 1, rng.randint(1, 10**20)])
    fresh = pick > 0.35
    pair = co.PAIR if rng.random() > 0.05 else "ETH-USD"
    # Mostly what the engine writes; sometimes a price it would never call fresh (after issued_at, older than its
    # max age, short of its quorum), which the rule must refuse the same way in both languages.
    max_age = rng.choice([600, 600, 60, 10**9, 2**53 - 1])
    edge = min(max_age, 10**6) + rng.choice([0, 1])  # exactly at the max age, and one second past it
    ago = rng.choice([rng.randint(0, 600), rng.randint(-30, 0), rng.randint(0, 10**6), edge, edge])
    time = issued - timedelta(seconds=ago)
    total = rng.randint(1, 8)
    kept, least = (total, 3) if rng.random() < 0.7 else (rng.randint(0, total), rng.randint(1, 9))
    return co.Price(pair, price_e8, time, fresh, f"median of {kept} of {total} sources", max_age, total, kept, least)


def _issued(rng: random.Random) -> datetime:
    return datetime(2027, 1, 10, 12, 0, tzinfo=timezone.utc) + timedelta(seconds=rng.randint(0, 10**8))


def _doc(rng: random.Random, sequence: int = 0, before: dict | None = None) -> dict:
    issued = _issued(rng) if before is None else ar.parse_timestamp(before["issued_at"]) + timedelta(minutes=1)
    t = _thresholds(rng)
    names = rng.sample(NAMES, rng.randint(0, 4))
    results = []
    for name in names:
        r = _at_a_line(rng, t, issued) if rng.random() < 0.5 else _any(rng, issued)
        results.append(lp.ProviderResult(name, r.obligation, r.collateral))
    previous = lp.states(before) if before is not None else {n: s for n in names if (s := rng.choice(STATES))}
    member = lp.member(lp.ProvidersInput(tuple(results), t, _price(rng, issued), previous), issued)
    return {"sequence": sequence, "issued_at": ar.format_timestamp(issued), "providers": member}


# ---- tampering with them ----

ODD_REASONS = ["it's", 'say "x"', "both ' and \"", "tab\there", "line\u2028sep", "é\x7f\x00", "\U0001f600\ufffd"]


def _tamper(rng: random.Random, doc: dict) -> dict:
    d = copy.deepcopy(doc)
    m = d["providers"]
    entries = m["entries"]
    e = rng.choice(entries) if entries else None
    options = [
        lambda: m["thresholds"].update({rng.choice(list(m["thresholds"])): str(rng.randint(0, 40_000))}),
        lambda: m["thresholds"].update(liquidatable_below_bp="0"),
        lambda: m["thresholds"].update(penalty_bp="10001"),
        lambda: m["thresholds"].update(hysteresis_bp="1000001"),
        lambda: m["thresholds"].update(warning_below_bp="12x"),
        lambda: d.update(
            issued_at=ar.format_timestamp(
                ar.parse_timestamp(d["issued_at"]) + timedelta(seconds=rng.randint(-9000, 9000))
            )
        ),
        lambda: d.update(issued_at="2027-02-30T00:00:00Z"),
        lambda: m.update(price=None),
        lambda: m.pop("price"),
        lambda: entries.reverse(),
        lambda: entries.append(copy.deepcopy(entries[-1])) if entries else None,
    ]
    if m["price"] is not None:
        p = m["price"]
        options += [
            lambda: p.update(fresh=not p["fresh"]),
            lambda: p.update(price_e8=str(int(p["price_e8"]) + rng.choice([1, -1, 10**9]))),
            lambda: p.update(price_e8="0"),
            lambda: p.update(pair="BTC-EUR"),
            lambda: p.update(time=rng.choice(["2000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "soon"])),
            lambda: p.update(max_age_seconds=rng.choice([1, 2**53 - 1, "600", None, True])),
            lambda: p.update(kept=rng.choice([0, 99, "3", 2.5])),
            lambda: p.update(min_sources=rng.choice([1, 99])),
            lambda: p.update(sources=0),
            lambda: p.pop(rng.choice(["max_age_seconds", "sources", "kept", "min_sources"]), None),
        ]
    if e is not None:
        leg = e[rng.choice(("obligation", "collateral"))]
        options += [
            lambda: e.update(state=rng.choice(["healthy", "warning", "liquidatable", "unknown"])),
            lambda: e.update(previous_state=rng.choice(STATES)),
            lambda: e.update(reasons=[]),
            lambda: e.update(reasons=e["reasons"] + [rng.choice(ODD_REASONS)]),
            lambda: e.update(reasons=[rng.choice(ODD_REASONS)]),
            lambda: e.update(penalty_sat=None),
            lambda: e.update(penalty_sat="0"),
            lambda: e.pop("penalty_sat"),
            lambda: e.pop("reasons"),
            lambda: e.update(ratio_bp=None if e["ratio_bp"] is not None else "1"),
            lambda: e.update(ratio_bp=str(int(e["ratio_bp"] or "0") + 1)),
            lambda: e.update(obligation_sat=str(int(e["obligation_sat"] or "0") + 1)),
            lambda: e.update(collateral_sat=None),
            lambda: e.update(ratio_bp=12355),  # a number, not a string
            lambda: e["obligation"].update(asset="USD"),
            lambda: leg.update(decimals=rng.choice([37, -1])),
            lambda: leg.update(asset="EUR"),
            lambda: leg.update(max_age_seconds=rng.randint(1, 10**9)),
            lambda: leg.update(max_age_seconds="600"),
            lambda: leg.update(error={"code": "timeout", "detail": "x"}) if "error" not in leg else leg.pop("error"),
        ]
        if "error" not in leg:
            options += [
                lambda: leg.update(amount=str(int(leg["amount"]) + rng.choice([1, 10**8]))),
                lambda: leg.update(amount="-5"),
                lambda: leg.update(amount="1e5"),
                lambda: leg.update(amount=None),
                lambda: leg.update(
                    block_time=rng.choice(["0999-01-01T00:00:00Z", "2027-13-01T00:00:00Z", "2027-1-01T00:00:00Z"])
                ),
                lambda: leg.pop("block_time"),
            ]
    for _ in range(rng.choice([1, 1, 1, 2])):
        rng.choice(options)()
    return d


def _cases() -> tuple[list[dict], list[dict], list[tuple[dict, dict]]]:
    rng = random.Random(SEED)
    genuine = [_doc(rng) for _ in range(MEMBERS)]
    tampered = [_tamper(rng, d) for d in genuine for _ in range(2)]
    pairs = []
    for a in genuine[:100]:
        b = _doc(rng, 1, a)
        pairs.append((a, b))
        forged = copy.deepcopy(b)
        for e in forged["providers"]["entries"]:
            if rng.random() < 0.5:
                e["previous_state"] = rng.choice(STATES)
        pairs.append((a, forged))
        pairs.append(({"sequence": 0, "issued_at": a["issued_at"], "providers": None}, b))
        pairs.append((a, {**b, "providers": None}))
    return genuine, tampered, pairs


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> tuple[dict, list[dict], list[dict], list[tuple[dict, dict]]]:
    genuine, tampered, pairs = _cases()
    out = node_run(
        tmp_path_factory.mktemp("providers-js"), {"docs": genuine + tampered, "genuine": genuine, "pairs": pairs}
    )
    return out, genuine, tampered, pairs


def test_the_generated_members_cover_every_state_reason_and_rounding(compared):
    _, genuine, _, _ = compared
    entries = [e for d in genuine for e in d["providers"]["entries"]]
    assert {e["state"] for e in entries} == {"healthy", "warning", "liquidatable", "unknown"}
    reasons = " | ".join(r for e in entries for r in e["reasons"])
    for part in (
        "not read",
        "is older than max_age_seconds",
        "is in the future",
        "collateral in USD and no price",
        "is not fresh",
        "is dated after issued_at",
        "required)",
        "not BTC-USD",
        "beyond 78 digits",
        "has not cleared",
        "(no state before)",
        "(was unknown)",
        "(was liquidatable)",
        "below the liquidation line",
        "below the warning line",
    ):
        assert part in reasons, part
    assert re.search(r"the price of \S+ is older than \d+ s( \||$)", reasons)
    assert any(e["penalty_sat"] not in (None, "0") for e in entries)
    assert any(e["ratio_bp"] is None and e["state"] == "healthy" for e in entries)  # no obligation
    assert sum(d["providers"]["entries"] == [] for d in genuine) > 0


def test_js_derives_every_entry_as_python_does(compared):
    out, genuine, _, _ = compared
    for doc, got in zip(genuine, out["derived"], strict=True):
        t, issued = lp.read_thresholds(doc["providers"]), ar.parse_timestamp(doc["issued_at"])
        want = [as_json(lp.derive(e, issued, t, doc["providers"]["price"])) for e in doc["providers"]["entries"]]
        assert got == want, doc
        published = [{k: e[k] for k in want[0]} for e in doc["providers"]["entries"]] if want else []
        assert got == published


def test_js_checks_genuine_and_tampered_members_as_python_does(compared):
    out, genuine, tampered, _ = compared
    for doc, got in zip(genuine + tampered, out["checks"], strict=True):
        assert got == lp.check(doc), json.dumps(doc, ensure_ascii=False)[:2000]
    assert out["checks"][: len(genuine)] == [[]] * len(genuine)
    # Most tamperings fail (with entry problems and with refusals: "cannot be re-derived (...)"); the rest change
    # nothing the rule reads: a threshold of a member without entries, a price no USD collateral uses.
    problems = [p for c in out["checks"][len(genuine) :] for p in c]
    assert sum(bool(c) for c in out["checks"][len(genuine) :]) > len(tampered) * 0.6
    assert sum(p.startswith("providers: cannot be re-derived (") for p in problems) > 100
    assert sum(p.startswith("provider ") for p in problems) > 100


def test_js_holds_previous_states_over_a_chain_as_python_does(compared):
    out, _, _, pairs = compared
    for (a, b), got in zip(pairs, out["chains"], strict=True):
        assert got == [list(x) for x in lp.chain_check([a], b, False)], (a, b)
    assert any(problems for problems, _ in out["chains"]) and any(not p for p, _ in out["chains"])
