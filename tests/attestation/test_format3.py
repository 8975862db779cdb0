"""Format 3: supply counted once across chains (native minus held, bridges as max(locked, minted)), re-derived by the
verifier."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chains.base import HeldAddress, HeldBalance, RpcAgreement
from reserves.attestation import SupplyResult, envelope, sign, verify_chain, verify_document
from reserves.attestation.arithmetic import liabilities_sat
from reserves.attestation.formats import FORMAT_2
from reserves.attestation.formats import FORMAT_3 as FORMAT
from reserves.errors import InvalidInput
from tests.attestation.helpers import ISSUED, key, make_body, reserve_result, supply_result
from tests.support import param_id

BTC18 = 10**18
FIXTURES = Path(__file__).parent / "fixtures"
TREASURY = HeldAddress("0x" + "7e" * 20, "treasury", "issuer treasury, unissued")
BURN = HeldAddress("0x000000000000000000000000000000000000dEaD", "burn", "no key exists")
ARB_BOX = HeldAddress("0x" + "a1" * 20, "lockbox", "Arbitrum gateway", bridge="arb")
OP_BOX = HeldAddress("0x" + "0b" * 20, "escrow", "OP escrow", bridge="op")


AGREED = RpcAgreement(3, 3, 2, 2)


def native(held, total=10 * BTC18, rpc=AGREED, name="ethereum"):
    r = supply_result(name, total)
    return replace(r, reading=replace(r.reading, held=tuple(HeldBalance(h, b) for h, b in held), rpc=rpc))


def bridge(name, minted, decimals, source="ethereum", chain="eip155:42161"):
    return replace(supply_result(name, minted, decimals, chain=chain), role="bridge", bridge_source=source)


def pair_body(arb_locked=2 * BTC18 + 1, arb_minted=15 * BTC18 // 10, op_locked=BTC18, op_minted=120_000_000, failed=()):
    supplies = [
        native([(TREASURY, BTC18), (BURN, BTC18 // 2), (ARB_BOX, arb_locked), (OP_BOX, op_locked)]),
        bridge("arb", arb_minted, 18),
        bridge("op", op_minted, 8, chain="eip155:10"),
    ]
    supplies = [
        SupplyResult.failed(s.name, s.kind, s.chain_id, s.contract, 60, RuntimeError()) if s.name in failed else s
        for s in supplies
    ]
    return make_body(reserves=[reserve_result(values=(1_000_000_000,))], supplies=supplies)


def entries(body):
    return {d["name"]: d for d in body["supply"]["deployments"]}


def verify(b, signer=None):
    signer = signer or key(9)
    return verify_document(sign(b, [signer]), trusted_keys={signer.pubkey_hex: signer.key_id})


def test_native_minus_held_and_bridges_as_max_of_locked_and_minted():
    b = pair_body()
    assert b["format"] == FORMAT
    d = entries(b)
    eth, arb, op = d["ethereum"], d["arb"], d["op"]
    # 10 BTC minted on Ethereum, 1 treasury, 0.5 burned, 2 BTC + 1 unit locked for arb, 1 for op
    assert eth["role"] == "native" and "bridge_source" not in eth
    assert eth["circulating"] == str(55 * BTC18 // 10 - 1) and eth["supply_sat"] == "550000000"
    assert eth["rpc"] == {"endpoints": 3, "answered": 3, "agreed": 2, "quorum": 2}
    assert [h["category"] for h in eth["held"]] == ["burn", "escrow", "treasury", "lockbox"]  # by address
    assert {h["address"]: h.get("bridge") for h in eth["held"]} == {
        ARB_BOX.address: "arb",
        OP_BOX.address: "op",
        TREASURY.address: None,
        BURN.address: None,
    }
    # arb: locked (2 BTC + 1 unit, rounded up) > minted 1.5 BTC; op: minted 1.2 BTC > locked 1 BTC
    assert (arb["role"], arb["bridge_source"], arb["circulating"], arb["supply_sat"]) == (
        "bridge",
        "ethereum",
        str(15 * BTC18 // 10),
        "200000001",
    )
    assert (op["circulating"], op["supply_sat"]) == ("120000000", "120000000")
    assert "rpc" not in arb and arb["held"] == []
    assert b["supply"]["total_sat"] == "870000001" and b["status"] == "healthy"
    assert b["ratio_bp"] == str(1_000_000_000 * 10_000 // 870_000_001)
    assert verify(b).ok, verify(b).failed()


def test_a_failed_source_leaves_its_bridges_counting_what_they_minted():
    b = pair_body(failed=("ethereum",))
    d = entries(b)
    assert d["arb"]["supply_sat"] == "150000000" and d["op"]["supply_sat"] == "120000000"
    assert b["supply"]["total_sat"] == "270000000" and b["status"] == "stale" and b["ratio_bp"] is None
    assert verify(b).ok


def test_a_failed_bridge_is_stale_and_its_lockbox_still_subtracted():
    b = pair_body(failed=("arb",))
    assert entries(b)["ethereum"]["supply_sat"] == "550000000" and b["status"] == "stale"
    assert verify(b).ok


@pytest.mark.parametrize(
    "change",
    [
        lambda r: replace(
            r,
            reading=replace(
                r.reading,
                held=r.reading.held
                + (HeldBalance(HeldAddress("0x" + "99" * 20, "treasury", "more than exists"), 10 * BTC18),),
            ),
        ),  # held > total_supply
        lambda r: replace(r, reading=replace(r.reading, rpc=RpcAgreement(3, 2, 1, 2))),  # no quorum
        lambda r: replace(r, reading=replace(r.reading, rpc=RpcAgreement(3, 4, 4, 2))),  # answered > endpoints
        lambda r: replace(r, reading=replace(r.reading, held=(HeldBalance(replace(TREASURY, category="gift"), 1),))),
        lambda r: replace(r, reading=replace(r.reading, held=(HeldBalance(replace(TREASURY, reason=""), 1),))),
        lambda r: replace(r, reading=replace(r.reading, held=(HeldBalance(replace(TREASURY, address="0x 1"), 1),))),
        lambda r: replace(r, reading=replace(r.reading, held=(HeldBalance(TREASURY, -1),))),
        lambda r: replace(
            r,
            reading=replace(
                r.reading,
                held=(
                    HeldBalance(TREASURY, 1),
                    HeldBalance(replace(TREASURY, address=TREASURY.address.upper().replace("0X", "0x")), 1),
                ),
            ),
        ),  # one address twice
        lambda r: replace(r, reading=replace(r.reading, held=(HeldBalance(replace(BURN, bridge="arb"), 1),))),
        lambda r: replace(
            r, reading=replace(r.reading, held=(HeldBalance(replace(BURN, category="lockbox"), 1),))
        ),  # lockbox, no bridge
        lambda r: replace(r, role="sidechain"),
        lambda r: replace(r, bridge_source="x"),  # native with a source
    ],
)
def test_a_reading_that_breaks_a_supply_rule_is_a_failed_entry(change):
    b = make_body(supplies=[change(native([(TREASURY, 5)]))])
    [entry] = b["supply"]["deployments"]
    assert entry["error"]["code"] == "invalid_reading", entry
    assert b["status"] == "stale" and verify(b).ok


def test_a_bridge_reading_with_held_balances_is_a_failed_entry():
    arb = bridge("arb", 5, 18)
    arb = replace(arb, reading=replace(arb.reading, held=(HeldBalance(TREASURY, 1),)))
    b = make_body(supplies=[native([(ARB_BOX, 1)]), arb])
    assert entries(b)["arb"]["error"]["code"] == "invalid_reading"


@pytest.mark.parametrize(
    "supplies, why",
    [
        ([native([]), bridge("arb", 1, 18, source="nowhere")], "not listed"),
        ([native([]), bridge("arb", 1, 18)], "holds no lockbox"),
        ([native([(ARB_BOX, 1)]), bridge("arb", 1, 18, source="arb")], "its own source"),
        (
            [native([(ARB_BOX, 1)]), bridge("arb", 1, 18), bridge("nova", 1, 18, source="arb", chain="eip155:42170")],
            "not a native deployment",
        ),
        ([native([(ARB_BOX, 1)])], "'arb', which is not listed"),
        ([native([(ARB_BOX, 1)]), supply_result("arb", chain="eip155:42161")], "which is not a bridge"),
    ],
)
def test_deployments_linked_wrongly_are_refused_at_build(supplies, why):
    with pytest.raises(InvalidInput, match=why):
        make_body(supplies=supplies)


def _put(doc, path, value):
    for p in path[:-1]:
        doc = doc[p]
    doc[path[-1]] = value


ARB, ETH, OP = (("supply", "deployments", i) for i in range(3))  # entries are sorted by name
RESIGNED = [
    # a held balance lowered: the native entry would subtract less than it claims
    (ETH + ("held", 2, "balance"), "1", {"supply", "totals", "ratio", "status"}),
    (ETH + ("held", 3, "balance"), "0", {"supply", "totals", "ratio", "status"}),  # arb's lockbox emptied
    (ETH + ("circulating",), "1", {"supply"}),
    (ETH + ("supply_sat",), "1", {"supply"}),
    (ARB + ("supply_sat",), "150000000", {"supply"}),  # minted, ignoring the larger lockbox
    (ARB + ("circulating",), "0", {"supply"}),
    (OP + ("supply_sat",), "100000000", {"supply"}),  # locked, ignoring the larger minted supply
    (("supply", "total_sat"), "870000000", {"totals"}),
    # arb's lockbox said to back op: arb loses its locked term, op gains it, arb's source holds none for it
    (ETH + ("held", 3, "bridge"), "op", {"supply", "totals", "ratio", "status", "held"}),
    (ARB + ("bridge_source",), "op", {"supply", "totals", "ratio", "held"}),  # a bridge of a bridge
    (ETH + ("rpc", "agreed"), 1, {"rpc"}),
    (ETH + ("rpc", "quorum"), 4, {"rpc"}),
    (ETH + ("held", 2, "address"), ARB_BOX.address.upper().replace("0X", "0x"), {"held"}),  # subtracted twice
    (ETH + ("role",), "bridge", {"schema"}),  # a bridge needs bridge_source
    (ARB + ("role",), "native", {"schema"}),  # a native has none
    (ETH + ("held", 2, "bridge"), "arb", {"schema"}),  # index 2 is the treasury: never a bridge's
    (ETH + ("rpc", "extra"), 1, {"schema"}),
    (ETH + ("held", 0, "extra"), 1, {"schema"}),
    (ETH + ("held", 0, "bridge"), "arb", {"schema"}),  # a burn address backs nothing
    (ETH + ("held", 0, "category"), "gift", {"schema"}),
]


@pytest.mark.parametrize("path,value,failing", RESIGNED, ids=param_id)
def test_resigned_supply_inconsistency_is_named(path, value, failing):
    b = copy.deepcopy(pair_body())
    assert [d["name"] for d in b["supply"]["deployments"]] == ["arb", "ethereum", "op"]
    held = b["supply"]["deployments"][1]["held"]
    assert [h["category"] for h in held] == ["burn", "escrow", "treasury", "lockbox"]
    _put(b, path, value)
    report = verify(b)
    assert {c.name for c in report.failed()} == failing, report.failed()


def as_format_2(body):
    """The same figures as format 2 (natives without held items only): what a format 2 engine signed."""
    old = copy.deepcopy(body)
    old["format"] = FORMAT_2
    for d in old["supply"]["deployments"]:
        for k in ("role", "held", "circulating", "rpc", "bridge_source"):
            d.pop(k, None)
    return old


def test_format_2_documents_still_verify():
    example = json.loads((FIXTURES / "format2.json").read_text())["docs_example"]
    assert example["attestation"]["format"] == FORMAT_2
    trusted = {"f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9": "example-2025"}
    assert verify_document(example, trusted_keys=trusted).ok
    assert verify(as_format_2(make_body())).ok


def test_a_chain_may_go_from_format_1_to_2_to_3_but_never_back():
    signer = key(9)
    trusted = {signer.pubkey_hex: "k"}
    old = json.loads((FIXTURES / "format1.json").read_text())["chain"]
    f2 = envelope(sign(as_format_2(make_body(2, old[-1]["id"], issued=ISSUED + timedelta(minutes=1))), [signer]))
    f3 = envelope(sign(make_body(3, f2["id"], issued=ISSUED + timedelta(minutes=2)), [signer]))
    with_f1 = {**trusted, json.loads((FIXTURES / "format1.json").read_text())["chain_key_pubkey"]: "old"}
    report = verify_chain(old + [f2, f3], with_f1)
    assert report.ok, report.failed()
    back = envelope(sign(as_format_2(make_body(4, f3["id"], issued=ISSUED + timedelta(minutes=3))), [signer]))
    failed = {c.name for c in verify_chain([f2, f3, back], trusted).failed()}
    assert failed == {"chain.format"}


def test_format_2_body_with_format_3_members_fails_schema():
    b = make_body()
    b["format"] = FORMAT_2
    assert "schema" in {c.name for c in verify(b).failed()}


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DECIMALS = st.sampled_from([0, 6, 8, 18])


@st.composite
def supply_sets(draw):
    """One native deployment with treasury and burn holders, and up to 3 bridges with a lockbox each."""
    dn = draw(DECIMALS)
    total = draw(st.integers(0, 10**6 * 10**dn))
    k = draw(st.integers(0, 3))
    parts = draw(st.lists(st.integers(0, 1000), min_size=k + 2, max_size=k + 2))
    scale = max(1, sum(parts) + draw(st.integers(0, 1000)))
    held_amounts = [total * p // scale for p in parts]  # together at most total
    minted = [(draw(st.integers(0, 10**6 * 10**db)), db) for db in draw(st.lists(DECIMALS, min_size=k, max_size=k))]
    return dn, total, held_amounts, minted


@SETTINGS
@given(supply_sets())
def test_the_total_never_undercounts_nor_counts_a_token_twice(case):
    dn, total, (treasury, burn, *locked), minted = case
    boxes = [
        (HeldAddress(f"0x{i + 1:040x}", "lockbox", "gateway", bridge=f"b{i}"), amount)
        for i, amount in enumerate(locked)
    ]
    supplies = [
        replace(
            native([(TREASURY, treasury), (BURN, burn), *boxes], total=total, rpc=None),
            reading=replace(
                native([], total=total).reading,
                decimals=dn,
                total_supply=total,
                held=tuple(HeldBalance(h, b) for h, b in [(TREASURY, treasury), (BURN, burn), *boxes]),
            ),
        )
    ]
    supplies += [bridge(f"b{i}", m, db, chain=f"eip155:{100 + i}") for i, (m, db) in enumerate(minted)]
    b = make_body(supplies=supplies)
    got = int(b["supply"]["total_sat"])
    outside = liabilities_sat(total - treasury - burn, dn)  # every native token not excluded
    representations = sum(liabilities_sat(m, db) for m, db in minted)
    assert got >= outside  # locked tokens are counted once, by their bridge or by the lockbox term
    assert got >= liabilities_sat(total - treasury - burn - sum(locked), dn) + representations  # nothing minted hides
    assert got <= outside + representations + len(minted)  # no token twice (one unit of rounding per bridge)
    assert verify(b).ok
