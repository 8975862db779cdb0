"""Declared wallets: parsing with errors naming the key, custody policy, declaration, locate and key pubkeys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from embit.descriptor import Descriptor
from embit.networks import NETWORKS
from hypothesis import given, settings
from hypothesis import strategies as st

from chains.base import TimeLock
from chains.bitcoin import wallets as wallets_module
from chains.bitcoin.esplora.adapter import parse_config
from chains.bitcoin.wallets import KeyInfo, WalletSpec, parse_wallets
from chains.devnet.btc_wallet import RECOVERY_AFTER_HEIGHT, DevnetWallets
from chains.errors import ChainConfigError

DEVNET = DevnetWallets()
DESC = DEVNET.reserve_descriptors
WHERE = "reserves.cold.wallets"
MAINNET_XPUB = (
    "xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V"
)
A = "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"


def one(table: dict[str, Any]) -> WalletSpec:
    return parse_wallets([table], "regtest", WHERE)[0]


def test_multisig_records_m_n_and_declared_keys() -> None:
    wallet = one({"name": "cold", "label": "Cold, 2 of 3", "descriptor": DESC["wsh_sortedmulti"]})
    policy = wallet.policy()
    assert (policy.script_type, policy.threshold, len(policy.keys), policy.timelocks) == ("p2wsh-multisig", 2, 3, ())
    first = policy.keys[0]
    assert first.path == "m/48h/1h/0h/2h" and first.id == first.fingerprint and len(first.fingerprint) == 8
    assert first.key.startswith("tpub") and "/" not in first.key and "[" not in first.key
    assert policy.description == f"2 of 3 keys ({', '.join(k.id for k in policy.keys)})"
    assert wallet.descriptor == DESC["wsh_sortedmulti"].split("#")[0] and wallet.label == "Cold, 2 of 3"


def test_recovery_and_vault_policies() -> None:
    recovery = one({"name": "r", "descriptor": DESC["wsh_recovery"]}).policy()
    assert recovery.script_type == "p2wsh-miniscript" and recovery.threshold is None and len(recovery.keys) == 4
    assert recovery.timelocks == (f"after({RECOVERY_AFTER_HEIGHT})",)
    assert recovery.description.endswith(f"; or key {recovery.keys[3].id} and after block {RECOVERY_AFTER_HEIGHT}")
    vault = one({"name": "v", "descriptor": DESC["wsh_vault"]})
    assert vault.policy().timelocks == ("older(1008)",) and vault.time_locked and not vault.relative_time_lock
    assert vault.lock_at(vault.address(0), 10, 20, None) == TimeLock("height", 1018, True)
    assert one({"name": "r", "descriptor": DESC["wsh_recovery"]}).lock_at("", 10, 20, None) is None


@pytest.mark.parametrize(("kind", "script_type"), [("wpkh", "p2wpkh"), ("tr", "p2tr")])
def test_single_key_wallets(kind: str, script_type: str) -> None:
    wallet = one({"name": "k", "descriptor": DESC[kind]})
    assert wallet.policy().script_type == script_type and wallet.policy().threshold is None
    assert wallet.lock_at(wallet.address(0), None, 100, None) is None and not wallet.time_locked


def test_other_script_types() -> None:
    assert one({"name": "s", "descriptor": f"sh(wpkh({A}))"}).policy().script_type == "p2sh-p2wpkh"
    assert one({"name": "p", "descriptor": f"pkh({A})"}).policy().script_type == "p2pkh"
    assert one({"name": "m", "descriptor": f"sh(multi(1,{A}))"}).policy().script_type == "p2sh-multisig"
    key = one({"name": "p", "descriptor": f"pkh({A})"}).policy().keys[0]
    assert key == KeyInfo(id=key.id, key=A) and len(key.id) == 16  # no origin: sha256 of the key


def test_declaration_is_canonical_json() -> None:
    addresses = [DEVNET.reserve_address("wpkh", 3), DEVNET.reserve_address("wpkh", 1)]
    wallet = one({"name": "list", "addresses": addresses})
    declared = wallet.declaration()
    assert declared["addresses"] == sorted(addresses) and declared["policy"]["script_type"] == "addresses"
    multisig = one({"name": "cold", "descriptor": DESC["wsh_sortedmulti"], "gap_limit": 50}).declaration()
    assert json.loads(json.dumps(multisig)) == multisig
    assert multisig["gap_limit"] == 50 and multisig["policy"]["threshold"] == 2
    assert multisig["policy"]["keys"][0]["path"] == "m/48h/1h/0h/2h" and "descriptor" in multisig


def test_locate_and_key_pubkeys() -> None:
    wallet = one({"name": "cold", "descriptor": DESC["wsh_sortedmulti"]})
    address = DEVNET.reserve_address("wsh_sortedmulti", 7)
    assert wallet.locate(address) == (0, 7) and wallet.locate(address.upper()) == (0, 7)
    assert wallet.locate(DEVNET.reserve_address("wpkh", 0), max_index=20) is None
    assert wallet.locate("not an address") is None
    assert wallet.locate(address, max_index=5) is None
    pubkeys = wallet.key_pubkeys(address)
    expected = [k.get_public_key().sec().hex() for k in DEVNET.private_keys("wsh_sortedmulti", 7)]
    assert [p for _, p in pubkeys] == expected and [i for i, _ in pubkeys] == list(wallet.policy().keys)
    assert wallet.key_pubkeys(DEVNET.reserve_address("tr", 0)) == []


def test_taproot_key_pubkey_is_the_output_key() -> None:
    wallet = one({"name": "t", "descriptor": DESC["tr"]})
    address = DEVNET.reserve_address("tr", 2)
    ((_, xonly),) = wallet.key_pubkeys(address)
    assert (
        len(xonly) == 64
        and Descriptor.from_string(DESC["tr"].split("#")[0]).derive(2).script_pubkey().data[2:].hex() == xonly
    )


def test_multipath_descriptor_locates_both_branches() -> None:
    text = DESC["wpkh"].split("#")[0].replace("/0/*", "/<0;1>/*")
    wallet = one({"name": "m", "descriptor": text})
    change = Descriptor.from_string(text).derive(4, branch_index=1).address(NETWORKS["regtest"])
    assert wallet.branches == 2 and wallet.locate(change) == (1, 4)


def test_address_list_wallet() -> None:
    address = DEVNET.reserve_address("wpkh", 1)
    wallet = one({"name": "list", "addresses": [address, address.upper() if address.startswith("bcrt1") else address]})
    assert wallet.addresses == (address,) and wallet.locate(address) == (0, 0)
    assert wallet.key_pubkeys(address) == [] and wallet.lock_at(address, None, 1, None) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("wpkh(...)", f"{WHERE}: must be an array of tables"),
        ([{"name": "a", "descriptor": DESC["tr"]}] * 2, f"{WHERE}[1].name: wallet 'a' declared twice"),
        ([7], f"{WHERE}[0]: must be a table"),
        ([{"descriptor": DESC["tr"]}], f"{WHERE}[0].name"),
        ([{"name": "has space", "descriptor": DESC["tr"]}], f"{WHERE}[0].name"),
        ([{"name": "x" * 65, "descriptor": DESC["tr"]}], f"{WHERE}[0].name"),
        ([{"name": "a", "descriptor": DESC["tr"], "colour": 1}], f"{WHERE}[0].colour: unknown key"),
        ([{"name": "a"}], f"{WHERE}[0].descriptor: declare exactly one"),
        ([{"name": "a", "descriptor": DESC["tr"], "addresses": ["x"]}], f"{WHERE}[0].descriptor: declare exactly one"),
        ([{"name": "a", "descriptor": DESC["tr"], "gap_limit": 0}], f"{WHERE}[0].gap_limit"),
        ([{"name": "a", "descriptor": DESC["tr"], "gap_limit": True}], f"{WHERE}[0].gap_limit"),
        ([{"name": "a", "addresses": [DEVNET.reserve_address("tr")], "gap_limit": 5}], f"{WHERE}[0].gap_limit: only"),
        ([{"name": "a", "descriptor": DESC["tr"], "label": "x" * 201}], f"{WHERE}[0].label"),
        ([{"name": "a", "descriptor": DESC["tr"], "label": "bell\x07"}], f"{WHERE}[0].label"),
        ([{"name": "a", "descriptor": 7}], f"{WHERE}[0].descriptor"),
        ([{"name": "a", "descriptor": DESC["tr"][:-1] + "x"}], f"{WHERE}[0].descriptor: descriptor checksum"),
        ([{"name": "a", "descriptor": f"wpkh([73c5da0a/84h/0h/0h]{MAINNET_XPUB}/0/*)"}], "wrong network"),
        ([{"name": "a", "descriptor": "wpkh(cVt4o7BGAig1UXywgGSmARhxMdzP5qvQsxKkSsc1XEkw3tDTQFpy)"}], "private key"),
        (
            [{"name": "a", "descriptor": f"wsh(and_v(v:pk({A}),and_v(v:after(100),after(1700000000))))"}],
            "no spending path",
        ),
        ([{"name": "a", "descriptor": "wsh(" + "a:" * 3000 + f"pk({A}))"}], f"{WHERE}[0].descriptor"),
        ([{"name": "a", "descriptor": "wsh(" + "or_d(" * 600 + f"pk({A})" + ")" * 601}], f"{WHERE}[0].descriptor"),
        ([{"name": "a", "addresses": []}], f"{WHERE}[0].addresses: must be a non-empty list"),
        ([{"name": "a", "addresses": "bcrt1q"}], f"{WHERE}[0].addresses"),
        ([{"name": "a", "addresses": [None]}], f"{WHERE}[0].addresses[0]: must be a string"),
        ([{"name": "a", "addresses": ["bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"]}], f"{WHERE}[0].addresses[0]"),
        ([{"name": "a", "addresses": ["x" * 100_000]}], f"{WHERE}[0].addresses[0]"),
        ([{"name": "a", "addresses": ["bcrt1q"] * 10_001}], f"{WHERE}[0].addresses: at most 10000"),
        ([{"name": f"w{i}", "descriptor": DESC["tr"]} for i in range(101)], f"{WHERE}: at most 100 wallets"),
    ],
)
def test_bad_wallets_name_their_key(value: Any, message: str) -> None:
    with pytest.raises(ChainConfigError) as info:
        parse_wallets(value, "regtest", WHERE)
    assert message in info.value.detail
    assert "tpubD" not in info.value.detail and "cVt4o7" not in info.value.detail  # never echoes keys


def test_total_addresses_are_capped_across_wallets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wallets_module, "MAX_ADDRESSES", 3)
    tables = [
        {
            "name": f"w{i}",
            "addresses": [DEVNET.reserve_address("wpkh", 2 * i), DEVNET.reserve_address("wpkh", 2 * i + 1)],
        }
        for i in range(2)
    ]
    with pytest.raises(ChainConfigError, match=rf"{WHERE}\[1\].addresses: at most 3 addresses in all wallets"):
        parse_wallets(tables, "regtest", WHERE)


def test_source_config_with_wallets_and_flat_keys() -> None:
    address = DEVNET.reserve_address("wpkh", 1)
    config = parse_config(
        "cold",
        {
            "esplora_url": "http://127.0.0.1:3002",
            "network": "regtest",
            "gap_limit": 7,
            "wallets": [{"name": "vault", "descriptor": DESC["wsh_vault"]}],
            "addresses": [address],
            "descriptors": [DESC["tr"], DESC["wpkh"]],
        },
    )
    assert [w.name for w in config.wallets] == ["vault", "cold", "cold-1", "cold-2"]
    assert config.wallets[1].addresses == (address,) and config.wallets[2].gap_limit == 7
    assert config.wallets[0].gap_limit == 20


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            {"wallets": [{"name": "cold", "descriptor": DESC["tr"]}], "addresses": [DEVNET.reserve_address("wpkh")]},
            "reserves.cold.wallets: wallet name 'cold' declared twice",
        ),
        ({"wallets": {"name": "x"}}, "reserves.cold.wallets: must be an array"),
        ({"wallets": [{"name": "x", "descriptor": DESC["tr"]}] * 1}, None),
        (
            {
                "wallets": [{"name": f"w{i}", "descriptor": DESC["tr"]} for i in range(100)],
                "descriptors": [DESC["wpkh"]],
            },
            "at most 100 wallets",
        ),
        ({"wallets": []}, "reserves.cold.wallets: declare at least one"),
    ],
)
def test_source_wallet_errors(patch: dict, message: str | None) -> None:
    table = {"esplora_url": "http://127.0.0.1:3002", "network": "regtest", **patch}
    if message is None:
        assert parse_config("cold", table).wallets[0].name == "x"
        return
    with pytest.raises(ChainConfigError) as info:
        parse_config("cold", table)
    assert message in info.value.detail


def test_wallet_spec_built_directly_parses_on_use() -> None:
    wallet = WalletSpec(name="x", network="regtest", descriptor="wpkh(garbage)")
    with pytest.raises(ChainConfigError):
        wallet.policy()


_json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.sampled_from(list(DESC.values())),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_tables = st.lists(
    st.dictionaries(st.sampled_from(["name", "label", "descriptor", "addresses", "gap_limit", "x"]), _json_like),
    max_size=3,
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(_tables, _json_like))
def test_arbitrary_input_gives_wallets_or_config_error(value: Any) -> None:
    try:
        result = parse_wallets(value, "regtest", WHERE)
    except ChainConfigError as exc:
        assert exc.detail.startswith(WHERE)
    else:
        assert all(isinstance(w, WalletSpec) for w in result)
