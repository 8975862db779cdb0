"""parse_config of the keys added for issue 4: rpc_urls, quorum, exclusions, start_block, logs_max_range.

Every bad value names `deployments.<name>.<key>`; URLs (which may hold keys) are never echoed.
"""

from __future__ import annotations

import dataclasses
import tomllib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chains.base import HeldAddress
from chains.errors import ChainConfigError
from chains.evm.config import EvmErc20Config, parse_config

ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"  # EIP-55 checksummed
TREASURY = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # EIP-55 checksummed
URLS = ["https://a.example/v3/SECRETKEY", "https://b.example/SECRETKEY", "http://127.0.0.1:8545/SECRETKEY"]
GOOD = {"chain_id": "eip155:1", "rpc_urls": URLS, "contract": ADDRESS}
TREASURY_ROW = {"address": TREASURY, "category": "treasury", "reason": "issuer treasury"}


def parse(**changes: Any) -> EvmErc20Config:
    mapping = {**GOOD, **changes}
    return parse_config("eth", {k: v for k, v in mapping.items() if v is not ...})


def refused(match: str, **changes: Any) -> ChainConfigError:
    with pytest.raises(ChainConfigError) as info:
        parse(**changes)
    assert match in info.value.detail, info.value.detail
    assert "SECRETKEY" not in info.value.detail and "example" not in info.value.detail
    return info.value


def test_rpc_urls_and_default_majority_quorum() -> None:
    config = parse()
    assert config.rpc_urls == tuple(URLS) and config.rpc_url == URLS[0] and config.quorum == 2
    assert "SECRETKEY" not in repr(config)
    for n, majority in [(1, 1), (2, 2), (3, 2), (4, 3), (7, 4)]:
        urls = [f"https://n{i}.example/SECRETKEY" for i in range(n)]
        assert parse(rpc_urls=urls).quorum == majority
    assert parse(quorum=1).quorum == 1 and parse(quorum=3).quorum == 3


def test_single_rpc_url_still_works_and_equals_a_list_of_one() -> None:
    one = parse(rpc_urls=..., rpc_url=URLS[0])
    assert one.rpc_urls == (URLS[0],) and one.quorum == 1
    assert one == parse(rpc_urls=URLS[:1])
    direct = EvmErc20Config(name="eth", chain_id="eip155:1", rpc_url=URLS[0], contract=ADDRESS)
    assert direct.rpc_urls == (URLS[0],)


def test_replace_round_trips() -> None:
    config = parse(exclusions=[TREASURY_ROW])
    assert dataclasses.replace(config, confirmations=5).rpc_urls == tuple(URLS)
    assert dataclasses.replace(config) == config


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"rpc_url": URLS[0]}, "deployments.eth.rpc_urls: give exactly one of rpc_url and rpc_urls"),
        ({"rpc_urls": ...}, "deployments.eth.rpc_url: missing (or give rpc_urls)"),
        ({"rpc_urls": []}, "deployments.eth.rpc_urls: must hold 1 to 7 URLs, got 0"),
        ({"rpc_urls": [f"https://n{i}.example/SECRETKEY" for i in range(8)]}, "rpc_urls: must hold 1 to 7 URLs, got 8"),
        ({"rpc_urls": URLS[0]}, "deployments.eth.rpc_urls: must be an array of http(s) URLs"),
        ({"rpc_urls": {"a": URLS[0]}}, "rpc_urls: must be an array"),
        ({"rpc_urls": [URLS[0], 5]}, "deployments.eth.rpc_urls[1]: must be a non-empty string"),
        ({"rpc_urls": [URLS[0], ""]}, "rpc_urls[1]: must be a non-empty string"),
        ({"rpc_urls": [URLS[0], "wss://x.example/SECRETKEY"]}, "rpc_urls[1]: not an http(s) URL"),
        ({"rpc_urls": [URLS[0], "https://x.example/SECRET KEY"]}, "rpc_urls[1]: not an http(s) URL"),
        ({"rpc_urls": [URLS[0], "https://x.example/SECRETKEY\n"]}, "rpc_urls[1]: not an http(s) URL"),
        ({"rpc_urls": [URLS[0], "https://x.example/\x00SECRETKEY"]}, "rpc_urls[1]: not an http(s) URL"),
        ({"rpc_urls": [URLS[0], "https://x.example/" + "SECRETKEY" * 300]}, "rpc_urls[1]: longer than 2048"),
        ({"rpc_urls": [URLS[0], URLS[0]]}, "rpc_urls[1]: same endpoint as rpc_urls[0]"),
        (
            {
                "rpc_urls": [
                    URLS[0],
                    URLS[0].upper().replace("HTTPS://", "https://").replace("/V3/SECRETKEY", "/v3/SECRETKEY"),
                ]
            },
            "rpc_urls[1]: same endpoint as rpc_urls[0]",
        ),
        ({"rpc_urls": [URLS[0], URLS[0] + "/"]}, "rpc_urls[1]: same endpoint as rpc_urls[0]"),
        ({"quorum": 0}, "deployments.eth.quorum: must be between 1 and 3"),
        ({"quorum": 4}, "deployments.eth.quorum: must be between 1 and 3"),
        ({"quorum": True}, "quorum: must be an integer"),
        ({"quorum": "2"}, "quorum: must be an integer"),
        ({"quorum": 2.0}, "quorum: must be an integer"),
        ({"quorum": 10**30}, "quorum: must be between 1 and 3"),
        ({"rpc_urls": ..., "rpc_url": URLS[0], "quorum": 1}, "deployments.eth.quorum: only with rpc_urls"),
        ({"start_block": -1}, "deployments.eth.start_block: must be between 0 and"),
        ({"start_block": 2**63}, "start_block: must be between 0 and"),
        ({"start_block": "0"}, "start_block: must be an integer"),
        ({"start_block": True}, "start_block: must be an integer"),
        ({"logs_max_range": 0}, "deployments.eth.logs_max_range: must be between 1 and 1000000"),
        ({"logs_max_range": 1_000_001}, "logs_max_range: must be between 1 and 1000000"),
        ({"logs_max_range": 2000.0}, "logs_max_range: must be an integer"),
        ({"held": []}, "deployments.eth.held: unknown key; declare holders under exclusions"),
    ],
)
def test_bad_endpoint_and_range_keys_are_named(changes: dict[str, Any], match: str) -> None:
    refused(match, **changes)


def test_start_block_and_logs_max_range_accepted() -> None:
    config = parse(start_block=19_000_000, logs_max_range=1_000_000)
    assert (config.start_block, config.logs_max_range) == (19_000_000, 1_000_000)
    assert (parse().start_block, parse().logs_max_range) == (0, 2000)


def test_exclusions_in_declaration_order() -> None:
    rows = [
        TREASURY_ROW,
        {"address": "0x000000000000000000000000000000000000dEaD", "category": "burn", "reason": "no key"},
        {"address": "0x" + "ab" * 20, "category": "lockbox", "reason": "bridge lockbox", "bridge": "arbitrum-rbtc"},
        {"address": "0x" + "AB" * 19 + "CD", "category": "escrow", "reason": "escrow, no bridge named"},
    ]
    held = parse(exclusions=rows).held
    assert held == (
        HeldAddress(TREASURY, "treasury", "issuer treasury"),
        HeldAddress("0x000000000000000000000000000000000000dEaD", "burn", "no key"),
        HeldAddress("0x" + "ab" * 20, "lockbox", "bridge lockbox", "arbitrum-rbtc"),
        HeldAddress("0x" + "AB" * 19 + "CD", "escrow", "escrow, no bridge named"),
    )
    assert parse(exclusions=[]).held == ()


def row(**changes: Any) -> list[dict[str, Any]]:
    return [{k: v for k, v in {**TREASURY_ROW, **changes}.items() if v is not ...}]


@pytest.mark.parametrize(
    ("exclusions", "match"),
    [
        ("0xabc", "deployments.eth.exclusions: must be an array of tables"),
        ({"address": TREASURY}, "exclusions: must be an array of tables"),
        (["0xabc"], "deployments.eth.exclusions[0]: must be a table"),
        ([TREASURY_ROW] * 101, "exclusions: at most 100 entries"),
        (row(address="0x1234"), "deployments.eth.exclusions[0].address: not a 20-byte hex address"),
        (row(address=TREASURY[2:]), "exclusions[0].address: not a 20-byte hex address"),
        (row(address=TREASURY + "00"), "exclusions[0].address: not a 20-byte hex address"),
        (row(address=7), "exclusions[0].address: not a 20-byte hex address"),
        (row(address=TREASURY.replace("C", "c", 1)), "exclusions[0].address: mixed-case address with a bad EIP-55"),
        (row(address=...), "deployments.eth.exclusions[0].address: missing"),
        (row(category="lost"), "exclusions[0].category: must be one of lockbox, escrow, treasury, burn"),
        (row(category="Treasury"), "exclusions[0].category: must be one of"),
        (row(category=["treasury"]), "exclusions[0].category: must be one of"),
        (row(category=...), "exclusions[0].category: missing"),
        (row(reason=...), "exclusions[0].reason: missing"),
        (row(reason=""), "exclusions[0].reason: required"),
        (row(reason="   "), "exclusions[0].reason: required"),
        (row(reason=5), "exclusions[0].reason: required"),
        (row(reason="x" * 201), "exclusions[0].reason: at most 200 characters, got 201"),
        (row(reason="line\nbreak"), "exclusions[0].reason: must be one line of printable text"),
        (row(reason="bell\x07"), "exclusions[0].reason: must be one line"),
        (row(reason="sep\u2028x"), "exclusions[0].reason: must be one line"),
        (row(bridge="arbitrum"), "exclusions[0].bridge: only a lockbox or escrow backs a bridge"),
        (row(category="lockbox", bridge=""), "exclusions[0].bridge: must name a deployment"),
        (row(category="lockbox", bridge="x" * 65), "exclusions[0].bridge: must name a deployment"),
        (row(category="lockbox", bridge=3), "exclusions[0].bridge: must name a deployment"),
        (row(colour="red"), "deployments.eth.exclusions[0].colour: unknown key"),
        # Locked for a bridge nobody declared: subtracted here, counted nowhere. Refused.
        (row(category="lockbox"), "exclusions[0].bridge: a lockbox must name the bridge deployment it backs"),
        (
            [TREASURY_ROW, {**TREASURY_ROW, "address": TREASURY.lower()}],
            "deployments.eth.exclusions[1].address: same address as exclusions[0] (case-insensitive)",
        ),
    ],
)
def test_bad_exclusions_are_named(exclusions: Any, match: str) -> None:
    refused(match, exclusions=exclusions)


def test_a_hundred_exclusions_fit() -> None:
    rows = [{"address": "0x" + f"{i:040x}", "category": "burn", "reason": f"burn {i}"} for i in range(1, 101)]
    assert len(parse(exclusions=rows).held) == 100


def test_held_added_later_gets_the_same_checks() -> None:
    # The settings layer links bridge lockboxes in with dataclasses.replace(config, held=...).
    config = parse(exclusions=[TREASURY_ROW])
    lockbox = HeldAddress("0x" + "cd" * 20, "lockbox", "lockbox of the bridge", "l2-rbtc")
    assert dataclasses.replace(config, held=config.held + (lockbox,)).held[1] == lockbox
    cases = [
        (
            config.held + (HeldAddress(TREASURY.lower(), "lockbox", "again", "l2"),),
            "deployments.eth.held[1].address: same address as held[0]",
        ),
        ((HeldAddress("0xnope", "lockbox", "x"),), "deployments.eth.held[0].address: not a 20-byte"),
        ((HeldAddress("0x" + "cd" * 20, "vault", "x"),), "held[0].category: must be one of"),
        ((HeldAddress("0x" + "cd" * 20, "lockbox", ""),), "held[0].reason: required"),
        (("0x" + "cd" * 20,), "deployments.eth.held[0]: must be a HeldAddress"),
        ([lockbox], "deployments.eth.held: must be a tuple of HeldAddress"),
        ((lockbox,) * 101, "deployments.eth.held: at most 100 holders, got 101"),
    ]
    for held, match in cases:
        with pytest.raises(ChainConfigError, match=match.replace("[", r"\[").replace("]", r"\]")):
            dataclasses.replace(config, held=held)


def test_a_toml_file_table() -> None:
    text = f'''
[deployments.ethereum]
kind = "evm-erc20"
chain_id = "eip155:1"
rpc_urls = ["https://a.example/KEY", "https://b.example/KEY", "https://c.example/KEY"]
quorum = 2
contract = "{ADDRESS}"
finality = "finalized"
start_block = 18000000
logs_max_range = 5000
exclusions = [
  {{ address = "{TREASURY}", category = "treasury", reason = "issuer treasury" }},
  {{ address = "0x000000000000000000000000000000000000dEaD", category = "burn", reason = "no key" }},
]
'''
    table = tomllib.loads(text)["deployments"]["ethereum"]
    config = parse_config("ethereum", table)
    assert (len(config.rpc_urls), config.quorum, config.start_block, config.logs_max_range) == (3, 2, 18_000_000, 5000)
    assert [h.category for h in config.held] == ["treasury", "burn"]
    assert "exclusions" in table  # the caller's table is not changed


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(["rpc_urls", "quorum", "exclusions", "start_block", "logs_max_range"]), value=json_values)
def test_any_value_is_accepted_or_named(key: str, value: Any) -> None:
    try:
        parse(**{key: value})
    except ChainConfigError as exc:
        assert exc.detail.startswith(f"deployments.eth.{key}")
        assert "SECRETKEY" not in exc.detail


@settings(max_examples=300, deadline=None)
@given(reason=st.text(max_size=250))
def test_any_reason_is_kept_as_given_or_refused(reason: str) -> None:
    try:
        held = parse(exclusions=row(reason=reason)).held
    except ChainConfigError as exc:
        assert exc.detail.startswith("deployments.eth.exclusions[0].reason: ")
        assert reason not in exc.detail or not reason.strip()
    else:
        assert held[0].reason == reason and 0 < len(reason) <= 200 and reason.strip()
