"""How far each locked contract is from unlocking (reserves.read.unlocking), from hand-made `tiers` members: height
locks from the tip, time locks from the issue time, reached, expired, spent, no tip; never part of the member."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import msgspec
import pytest

from reserves.read.display import rough_duration
from reserves.read.tiers import tiers_read

ISSUED = "2026-11-22T10:00:00Z"
T = int(datetime(2026, 11, 22, 10, tzinfo=timezone.utc).timestamp())
TIP = 800_000


def contract(name: str, kind: str, at: int, status: str = "active") -> dict:
    return {
        "name": name,
        "txid": "c0" * 32,
        "vout": 0,
        "wallet": "vault",
        "tier": "locked",
        "network": "regtest",
        "descriptor": "wsh(...)",
        "index": 0,
        "address": "bcrt1qexample",
        "script_hash": "ab" * 32,
        "script_locks": [f"after({at})"],
        "amount_sat": "100000000",
        "unlock": {"kind": kind, "at": at},
        "observed": "counted",
        "seen_address": "bcrt1qexample",
        "value_sat": "100000000",
        "lock": None,
        "status": status,
        "findings": [],
    }


def document(contracts: list[dict], tip: int | None = TIP) -> bytes:
    member = {"complete": True, "basis_sat": "100000000", "tiers": [], "contracts": contracts, "findings": []}
    valid_at = None if tip is None else {"chain_id": "bip122:x", "height": tip, "block_hash": "00" * 32}
    body = {"sequence": 7, "issued_at": ISSUED, "reserves": {"valid_at": valid_at}, "tiers": member}
    return msgspec.json.encode({"id": "a" * 64, "attestation": body})


def read(contracts: list[dict], tip: int | None = TIP):
    got = tiers_read(document(contracts, tip))
    assert got.view is not None
    by_name = {c["name"]: c for c in got.envelope["unlocking"]["contracts"]}
    words = {r.name: r.countdown.text for r in got.view.contracts if r.countdown is not None}
    return got.envelope, by_name, words


def test_height_locks_count_blocks_from_the_tip_and_estimate_ten_minutes_each():
    envelope, left, words = read([contract("a", "height", TIP + 1), contract("b", "height", TIP + 4_320, "pending")])
    assert envelope["unlocking"]["tip_height"] == TIP and envelope["unlocking"]["issued_at"] == ISSUED
    assert left["a"] == {
        "name": "a",
        "kind": "height",
        "at": TIP + 1,
        "unlocked": False,
        "blocks_left": 1,
        "seconds_left": 600,
        "estimated": True,
    }
    assert (left["b"]["blocks_left"], left["b"]["seconds_left"], left["b"]["unlocked"]) == (4_320, 2_592_000, False)
    assert words == {"a": "1 block, about 10 minutes", "b": "4,320 blocks, about 30 days"}


def test_time_locks_count_seconds_from_the_issue_time():
    _, left, words = read([contract("a", "time", T + 90 * 60), contract("b", "time", T + 400 * 86_400, "pending")])
    assert left["a"] == {
        "name": "a",
        "kind": "time",
        "at": T + 5_400,
        "unlocked": False,
        "blocks_left": None,
        "seconds_left": 5_400,
        "estimated": False,
    }
    assert words == {"a": "about 2 hours", "b": "about 13 months"}  # 1.5 h rounds up


@pytest.mark.parametrize(
    "entry",
    [
        contract("h", "height", TIP),  # the tip has reached the height: a spend can be mined in the next block
        contract("h", "height", TIP - 50, "pending"),  # not confirmed deep enough yet, but the height is long past
        contract("t", "time", T),
        contract("t", "time", T - 86_400),
        contract("e", "height", TIP + 10, "expired"),  # the document's word (its output's lock is open) wins
        contract("e", "time", T + 10, "expired"),
    ],
)
def test_a_reached_or_expired_lock_is_unlocked_with_nothing_left(entry):
    _, left, words = read([entry])
    got = left[entry["name"]]
    assert got["unlocked"] is True and got["seconds_left"] == 0
    assert got["blocks_left"] == (0 if entry["unlock"]["kind"] == "height" else None)
    assert words[entry["name"]] == "unlocked"


def test_a_spent_contract_has_nothing_to_unlock_and_without_a_tip_blocks_are_unknown():
    _, left, words = read([contract("s", "height", TIP + 5, "spent"), contract("u", "time", T - 5, "spent")])
    for name in ("s", "u"):
        assert (left[name]["unlocked"], left[name]["blocks_left"], left[name]["seconds_left"]) == (None, None, None)
        assert words[name] == "not applicable: spent"
    envelope, left, words = read([contract("h", "height", TIP + 5), contract("t", "time", T + 3_600)], tip=None)
    assert envelope["unlocking"]["tip_height"] is None
    assert (left["h"]["unlocked"], left["h"]["blocks_left"], left["h"]["seconds_left"]) == (None, None, None)
    assert words == {"h": "unknown: no tip was read", "t": "about 1 hour"}  # a time lock needs no tip


def test_the_member_is_served_as_signed_beside_the_countdown():
    contracts = [contract("a", "height", TIP + 1), contract("b", "time", T + 60)]
    envelope, _, _ = read(copy.deepcopy(contracts))
    assert envelope["tiers"]["contracts"] == contracts and set(envelope) == {"id", "sequence", "tiers", "unlocking"}
    older = msgspec.json.encode({"id": "b" * 64, "attestation": {"sequence": 1, "issued_at": ISSUED, "reserves": {}}})
    assert tiers_read(older).envelope == {"id": "b" * 64, "sequence": 1, "tiers": None, "unlocking": None}


def test_rough_durations_round_to_the_nearest_unit():
    cases = {
        0: "under a minute",
        59: "under a minute",
        60: "about 1 minute",
        90: "about 2 minutes",
        3_600: "about 1 hour",
        172_799: "about 48 hours",
        172_800: "about 2 days",
        5_184_000: "about 2 months",
        10 * 31_556_952: "about 10 years",
        -5: "under a minute",
    }
    assert {s: rough_duration(s) for s in cases} == cases
