"""Format 4: status with hysteresis and the window cap, window, flows, scope; verified alone and as a chain."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reserves.attestation import Policy, canonical, verify_chain, verify_document
from reserves.attestation.arithmetic import Observation
from reserves.attestation.members import guardians, signers
from reserves.attestation.members.scope import ControlCounts
from reserves.attestation.members.status import LEVELS, decide_v4, ratio_level
from tests.attestation.helpers import ISSUED, chain_v4, key, make_doc_v4, reserve_result, supply_result

ENGINE = key(7, "engine")
TRUSTED = {ENGINE.pubkey_hex: "engine"}
POLICY = Policy(10_500, hysteresis_bp=50)
RANK = {name: i for i, name in enumerate(LEVELS)}


def raw_level(ratio: int, policy: Policy = POLICY) -> str:
    return "undercollateralized" if ratio < 10_000 else "warning" if ratio < policy.warning_below_bp else "healthy"


def resign(doc: dict, engine=ENGINE, replaced=None) -> dict:
    body = {k: v for k, v in doc.items() if k != "signatures"}
    return signers.sign(body, canonical.attestation_id(body), engine, replaced)


def failed(report) -> dict[str, str]:
    return {c.name: c.detail for c in report.failed()}


# --- the status rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ratio, before, level",
    [
        (10_600, "healthy", "healthy"),
        (10_499, "healthy", "warning"),  # a fall is immediate
        (9_999, "healthy", "undercollateralized"),
        (10_520, "warning", "warning"),  # inside the band above 10 500: stays warning
        (10_550, "warning", "healthy"),  # cleared the band
        (10_020, "undercollateralized", "undercollateralized"),  # inside the band above 10 000
        (10_050, "undercollateralized", "warning"),
        (10_560, "undercollateralized", "healthy"),
        (10_520, None, "warning"),  # no level before: the band applies to every line
        (10_040, None, "undercollateralized"),
    ],
)
def test_hysteresis_delays_improvements_only(ratio, before, level):
    assert ratio_level(ratio, POLICY, before)[0] == level


@settings(max_examples=400, deadline=None)
@given(
    ratio=st.integers(0, 30_000),
    before=st.sampled_from([None, *LEVELS]),
    warn=st.integers(10_000, 12_000),
    band=st.integers(0, 500),
)
def test_hysteresis_never_gives_a_better_level_than_the_ratio_and_never_delays_a_fall(ratio, before, warn, band):
    policy = Policy(warn, hysteresis_bp=band)
    level = ratio_level(ratio, policy, before)[0]
    raw = raw_level(ratio, policy)
    assert RANK[level] <= RANK[raw]  # never better than the ratio itself says
    if before is not None and RANK[raw] <= RANK[before]:
        assert level == raw  # same or worse than before: taken at once
    if band == 0:
        assert level == raw


def test_a_dip_in_the_window_caps_healthy_at_warning():
    result = decide_v4(
        issued_at=ISSUED,
        observations=[Observation("reserve source", "x", block_time=ISSUED, max_age_seconds=60)],
        ratio=12_000,
        liabilities=1,
        policy=POLICY,
        previous_level="healthy",
        window_min=9_900,
        window_min_sequence=4,
        window_blocks=144,
    )
    assert (result.status, result.level) == ("warning", "warning")
    assert "9900 bp at sequence 4" in result.reasons[0] and "144 blocks" in result.reasons[0]


# --- one document -----------------------------------------------------------------------------


def test_a_format_4_document_verifies_and_names_its_signers():
    doc = make_doc_v4()
    report = verify_document(doc, trusted_keys=TRUSTED)
    assert report.ok, failed(report)
    assert doc["format"] == "reserves-attestation/4"
    assert doc["signers"]["engine"] == {"key_id": "engine", "pubkey": ENGINE.pubkey_hex}
    assert doc["signers"]["eip712"] == {"address": ENGINE.evm_address}
    assert [s["alg"] for s in doc["signatures"]] == ["bip340", "eip712"]
    assert doc["status_basis"] == {
        "level": "healthy",
        "previous_status": None,
        "previous_level": None,
        "changed": True,
        "change_reason": doc["status_basis"]["change_reason"],
    }
    assert doc["policy"]["hysteresis_bp"] == "50" and doc["window"]["attestations"] == 1


@pytest.mark.parametrize(
    "path, value, check",
    [
        (("status",), "warning", "status"),
        (("status_basis", "changed"), False, "status"),
        (("status_basis", "level"), "warning", "status"),
        (("window", "min_ratio_bp"), "999999", "window"),
        (("window", "to_height"), 1, "window"),
        (("flows", "recent_inflow_sat"), "1", "flows"),
        (("flows", "flags"), [], "flows"),
        (("scope", "control", "addresses"), 5, "scope"),
        (("scope", "proven"), ["reserve_outputs", "token_supply", "control"], "scope"),
        (("signers", "eip712", "address"), "0x" + "11" * 20, "signature[1]"),
    ],
)
def test_a_lie_in_a_format_4_member_fails_its_check(path, value, check):
    doc = copy.deepcopy(make_doc_v4())
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    report = verify_document(resign(doc), trusted_keys=TRUSTED)
    assert check in failed(report), failed(report)


def test_an_eip712_signature_of_another_key_or_body_fails():
    doc = make_doc_v4()
    other = make_doc_v4(engine=key(8, "other"))
    forged = copy.deepcopy(doc)
    forged["signatures"][1] = other["signatures"][1]
    assert "signature[1]" in failed(verify_document(forged, trusted_keys=TRUSTED))
    dropped = copy.deepcopy(doc)
    dropped["signatures"].pop()
    assert "eip712" in failed(verify_document(dropped, trusted_keys=TRUSTED))


def test_scope_counts_control_proofs():
    all_fresh = make_doc_v4(control=ControlCounts(1, 1, 3600, 120))
    assert all_fresh["scope"]["proven"][-1] == "control" and all_fresh["scope"]["asserted"] == ["unencumbered"]
    assert verify_document(all_fresh, trusted_keys=TRUSTED).ok
    none = make_doc_v4()
    assert "control" in none["scope"]["asserted"] and none["scope"]["control"]["oldest_fresh_age_seconds"] is None


def test_operator_statements_are_published_as_asserted():
    doc = make_doc_v4(statements=("Coins are held in segregated cold storage.",))
    assert doc["scope"]["statements"] == ["Coins are held in segregated cold storage."]
    assert verify_document(doc, trusted_keys=TRUSTED).ok


# --- chains -----------------------------------------------------------------------------------


def test_a_chain_checks_status_basis_flows_window_and_keys():
    docs = chain_v4(4)
    report = verify_chain(list(reversed(docs)), TRUSTED)
    assert report.ok, failed(report)
    names = {c.name for c in report.checks}
    assert {"chain.status_basis", "chain.flows", "chain.window", "chain.keys", "chain.guardians"} <= names
    assert docs[3]["window"]["attestations"] == 4 and docs[1]["status_basis"]["changed"] is False


def test_a_window_that_hides_an_earlier_dip_fails_the_chain():
    low = [reserve_result(values=(10_000_000,))]  # 0.1 BTC against 0.15 BTC of supply: under 100 %
    docs = [make_doc_v4(0)]
    docs.append(make_doc_v4(1, docs[0], reserves=low))
    assert docs[1]["status"] == "undercollateralized"
    docs.append(make_doc_v4(2, docs[1]))
    assert docs[2]["window"]["min_ratio_bp"] == docs[1]["ratio_bp"] and docs[2]["status"] == "warning"
    assert verify_chain(docs, TRUSTED).ok
    # The engine claims the window held only its own ratio: the chain shows the dip.
    forged = make_doc_v4(2, docs[1], earlier=[])
    assert forged["status"] == "healthy"
    report = verify_chain([docs[0], docs[1], forged], TRUSTED)
    assert "chain.window" in failed(report)


def test_the_window_ends_at_its_boundary():
    docs = [make_doc_v4(0, window_blocks=5)]
    cold = reserve_result()
    block = dataclasses.replace(cold.reading.block, height=800_020)
    later = dataclasses.replace(cold, reading=dataclasses.replace(cold.reading, block=block))
    hot = reserve_result("hot", (5_000,), seed=2)
    hot = dataclasses.replace(hot, reading=dataclasses.replace(hot.reading, block=block))
    docs.append(make_doc_v4(1, docs[0], window_blocks=5, reserves=[later, hot]))
    assert docs[1]["window"]["from_height"] == 800_016 and docs[1]["window"]["attestations"] == 1
    assert verify_chain(docs, TRUSTED).ok


def test_flows_name_coins_in_and_out_and_short_lived_ones():
    docs = [make_doc_v4(0)]
    # "cold" loses its second coin (confirmed 11 blocks before the first attestation: short-lived)
    # and "hot" gains a new one.
    changed = [
        reserve_result(values=(150_000_000,)),
        reserve_result("hot", (5_000,), seed=2),
        reserve_result("new", (70_000_000,), seed=9),
    ]
    docs.append(make_doc_v4(1, docs[0], reserves=changed))
    flows = docs[1]["flows"]
    assert flows["compared"] and flows["inflow_sat"] == "70000000" and flows["outflow_sat"] == "60000000"
    assert flows["short_lived_sat"] == "60000000"
    assert {"large_inflow", "large_outflow", "short_lived"} <= set(flows["flags"])
    assert verify_chain(docs, TRUSTED).ok
    lied = copy.deepcopy(docs[1])
    lied["flows"].update(outflow_sat="0", short_lived_sat="0", flags=["large_inflow", "recent_inflow"])
    assert "chain.flows" in failed(verify_chain([docs[0], resign(lied)], TRUSTED))


def test_a_failed_source_leaves_flows_uncompared():
    failing = [reserve_result(), reserve_result("hot", (5_000,), seed=2)]
    docs = [make_doc_v4(0)]
    stale = supply_result(age=7200, max_age=3600)
    docs.append(make_doc_v4(1, docs[0], reserves=failing, supplies=[stale]))
    assert docs[1]["status"] == "stale" and docs[1]["flows"]["compared"] is True
    from reserves.attestation import ReserveResult

    broken = [ReserveResult("cold", "bitcoin-esplora", 7200, None, "timeout", "no answer")]
    docs.append(make_doc_v4(2, docs[1], reserves=broken))
    assert docs[2]["flows"]["compared"] is False and docs[2]["flows"]["inflow_sat"] is None
    assert docs[2]["window"] is None and docs[2]["status"] == "stale"
    assert verify_chain(docs, TRUSTED).ok


def test_previous_status_must_be_the_chains():
    docs = chain_v4(2)
    lied = copy.deepcopy(docs[1])
    lied["status_basis"]["previous_status"] = "warning"
    lied["status_basis"]["changed"] = True
    lied["status_basis"]["change_reason"] = "warning -> healthy: every source was read and the ratio clears every line"
    assert "chain.status_basis" in failed(verify_chain([docs[0], resign(lied)], TRUSTED))


# --- keys: rotation ---------------------------------------------------------------------------


def test_a_rotation_signed_by_the_old_key_hands_trust_to_the_new_one():
    new = key(9, "engine-2")
    docs = [make_doc_v4(0)]
    docs.append(make_doc_v4(1, docs[0], engine=new, rotation_from=ENGINE))
    docs.append(make_doc_v4(2, docs[1], engine=new))
    assert docs[1]["signers"]["rotation"]["from"]["pubkey"] == ENGINE.pubkey_hex
    report = verify_chain(docs, TRUSTED)  # only the old key is pinned
    assert report.ok, failed(report)
    assert "rotated in at sequence 1" in next(c.detail for c in report.checks if c.name == "doc[2].trusted")


def test_a_new_key_without_a_rotation_breaks_the_chain():
    new = key(9, "engine-2")
    docs = [make_doc_v4(0)]
    docs.append(make_doc_v4(1, docs[0], engine=new))
    report = verify_chain(docs, {**TRUSTED, new.pubkey_hex: "also pinned"})
    assert "chain.keys" in failed(report)
    assert "doc[1].trusted" not in failed(report)  # trusted, but the chain of keys is broken


def test_a_rotation_without_the_old_keys_signature_fails():
    new = key(9, "engine-2")
    docs = [make_doc_v4(0)]
    rotated = make_doc_v4(1, docs[0], engine=new, rotation_from=ENGINE)
    rotated["signatures"] = [s for s in rotated["signatures"] if s.get("pubkey") != ENGINE.pubkey_hex]
    report = verify_chain([docs[0], rotated], TRUSTED)
    assert {"doc[1].rotation", "doc[1].trusted"} <= set(failed(report))


# --- guardians --------------------------------------------------------------------------------

GUARDIANS = [key(30 + i, f"guardian-{i}") for i in range(3)]
GSET = guardians.GuardianSet(2, tuple((k.key_id, k.pubkey_hex) for k in GUARDIANS))


def cosign(doc: dict, *keys) -> dict:
    body = {k: v for k, v in doc.items() if k != "signatures"}
    att_id = canonical.attestation_id(body)
    return {**doc, "signatures": doc["signatures"] + [guardians.guardian_signature(k, att_id) for k in keys]}


def test_pending_until_the_threshold_then_final():
    doc = make_doc_v4(guardians=GSET)
    assert "guardians" in failed(verify_document(doc, trusted_keys=TRUSTED))
    assert verify_document(doc, trusted_keys=TRUSTED, allow_pending=True).ok
    one = cosign(doc, GUARDIANS[0])
    assert "1 of 2" in failed(verify_document(one, trusted_keys=TRUSTED))["guardians"]
    two = cosign(doc, GUARDIANS[0], GUARDIANS[2])
    report = verify_document(two, trusted_keys=TRUSTED)
    assert report.ok and "final: 2 of 2 required" in next(c.detail for c in report.checks if c.name == "guardians")


def test_the_same_guardian_twice_counts_once_and_an_outsider_fails():
    doc = make_doc_v4(guardians=GSET)
    twice = cosign(doc, GUARDIANS[0], GUARDIANS[0])
    assert "1 of 2" in failed(verify_document(twice, trusted_keys=TRUSTED))["guardians"]
    outsider = cosign(doc, GUARDIANS[0], key(99, "outsider"))
    assert "1 of 2" in failed(verify_document(outsider, trusted_keys=TRUSTED))["guardians"]
    garbage = cosign(doc, GUARDIANS[0], GUARDIANS[1])
    garbage["signatures"].append({**garbage["signatures"][-1], "pubkey": key(99).pubkey_hex})
    assert "signature[4]" in failed(verify_document(garbage, trusted_keys=TRUSTED))


def test_pinned_guardians_only_count_when_pinned():
    doc = cosign(make_doc_v4(guardians=GSET), GUARDIANS[0], GUARDIANS[1])
    pins = {GUARDIANS[0].pubkey_hex: "a", GUARDIANS[2].pubkey_hex: "c"}
    report = verify_document(doc, trusted_keys=TRUSTED, guardian_pins=pins)
    assert {"guardians", "guardian_pins"} <= set(failed(report))


def test_a_changed_guardian_set_needs_the_set_before():
    first = cosign(make_doc_v4(0, guardians=GSET), *GUARDIANS[:2])
    newer = [key(40 + i, f"new-{i}") for i in range(2)]
    new_set = guardians.GuardianSet(1, tuple((k.key_id, k.pubkey_hex) for k in newer))
    changed = make_doc_v4(1, first, guardians=new_set)
    only_new = cosign(changed, newer[0])
    assert "chain.guardians" in failed(verify_chain([first, only_new], TRUSTED))
    both = cosign(changed, newer[0], *GUARDIANS[:2])
    report = verify_chain([first, both], TRUSTED)
    assert report.ok, failed(report)


def test_malformed_guardian_sets_are_refused():
    pub = GUARDIANS[0].pubkey_hex
    with pytest.raises(Exception, match="threshold"):
        guardians.GuardianSet(3, (("a", pub), ("b", GUARDIANS[1].pubkey_hex)))
    with pytest.raises(Exception, match="twice"):
        guardians.GuardianSet(1, (("a", pub), ("b", pub)))
    with pytest.raises(Exception, match="unique"):
        guardians.GuardianSet(1, (("a", pub), ("a", GUARDIANS[1].pubkey_hex)))
    with pytest.raises(Exception, match="x-only"):
        guardians.GuardianSet(1, (("a", "ff" * 32),))
    with pytest.raises(Exception, match="engine key cannot also be a guardian"):
        make_doc_v4(guardians=guardians.GuardianSet(1, (("e", ENGINE.pubkey_hex),)))


# --- found by review: what the engine key alone must not be able to claim ---------------------


def test_a_first_attestation_cannot_claim_a_level_before_it():
    doc = make_doc_v4(warning=139_993)  # ratio 140003 bp: inside the band above the warning line
    assert doc["status"] == "warning"
    forged = copy.deepcopy(doc)
    forged["status_basis"].update(
        previous_level="healthy",
        level="healthy",
        change_reason="none -> healthy: every source was read and the ratio clears every line",
    )
    forged["status"], forged["status_reasons"] = "healthy", []
    forged = resign(forged)
    assert {"status"} <= set(failed(verify_document(forged, trusted_keys=TRUSTED)))
    assert not verify_chain([forged], TRUSTED).ok


def test_pinned_guardians_refuse_an_attestation_that_declares_none_or_a_lower_threshold():
    pins = {k.pubkey_hex: k.key_id for k in GUARDIANS}
    none = make_doc_v4()
    assert "guardians" in failed(verify_document(none, trusted_keys=TRUSTED, guardian_pins=pins))
    low = guardians.GuardianSet(1, GSET.keys)
    one = cosign(make_doc_v4(guardians=low), GUARDIANS[0])
    assert verify_document(one, trusted_keys=TRUSTED, guardian_pins=pins).ok  # as declared, 1 of 3
    report = verify_document(one, trusted_keys=TRUSTED, guardian_pins=pins, guardian_threshold=2)
    assert "1 of 2 required" in failed(report)["guardians"]


def test_an_engine_key_among_the_guardians_fails():
    doc = copy.deepcopy(make_doc_v4(guardians=GSET))
    doc["signers"]["guardians"] = {"threshold": 1, "keys": [{"key_id": "self", "pubkey": ENGINE.pubkey_hex}]}
    signed = resign(doc)
    body = {k: v for k, v in signed.items() if k != "signatures"}
    signed["signatures"].append(guardians.guardian_signature(ENGINE, canonical.attestation_id(body)))
    assert "guardian_set" in failed(verify_document(signed, trusted_keys=TRUSTED))


def test_allow_pending_never_reads_a_set_change_as_cosigned():
    first = cosign(make_doc_v4(0, guardians=GSET), *GUARDIANS[:2])
    mine = [key(50, "mine")]
    swapped = cosign(
        make_doc_v4(1, first, guardians=guardians.GuardianSet(1, (("mine", mine[0].pubkey_hex),))), mine[0]
    )
    strict = verify_chain([first, swapped], TRUSTED)
    assert "chain.guardians" in failed(strict)
    lenient = verify_chain([first, swapped], TRUSTED, allow_pending=True)
    detail = next(c.detail for c in lenient.checks if c.name == "chain.guardians")
    assert lenient.ok and detail.startswith("pending (allowed)") and "co-signed it" in detail


def test_a_malformed_guardian_set_is_a_failed_check_never_an_exception():
    docs = chain_v4(2, guardians=GSET)
    bad = copy.deepcopy(docs[1])
    bad["signers"]["guardians"]["threshold"] = 5  # schema-valid, but above the 3 keys
    report = verify_chain([docs[0], resign(bad)], TRUSTED, allow_pending=True)
    assert not report.ok and "doc[1].guardian_set" in failed(report)


@pytest.mark.parametrize("value, failing", [("9000", "chain.flows"), (9000, "doc[1].schema"), ("x", "doc[1].schema")])
def test_a_signed_policy_below_the_floor_fails_the_chain_never_raises(value, failing):
    """A compromised or buggy engine signs a policy the rules refuse: reported, not a crash of the verifier."""
    docs = chain_v4(2)
    bad = copy.deepcopy(docs[1])
    bad["policy"]["warning_below_bp"] = value
    report = verify_chain([docs[0], resign(bad)], TRUSTED, allow_pending=True)
    assert not report.ok and failing in failed(report)
