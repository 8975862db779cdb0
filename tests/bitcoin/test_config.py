"""parse_config turns a TOML table into BitcoinEsploraConfig or a ChainConfigError naming the key."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chains.bitcoin.esplora.adapter import SPEC, BitcoinEsploraConfig, parse_config
from chains.bitcoin.wallets import WalletSpec
from chains.devnet.btc_wallet import DevnetWallets
from chains.errors import ChainConfigError
from chains.registry import get_spec

WALLETS = DevnetWallets()
BASE = {
    "esplora_url": "http://127.0.0.1:3002",
    "network": "regtest",
    "descriptors": [WALLETS.reserve_descriptors["tr"]],
}


def test_defaults_and_registry() -> None:
    config = parse_config("cold", BASE)
    flat = WalletSpec(name="cold-1", network="regtest", descriptor=BASE["descriptors"][0].split("#")[0])
    assert config == BitcoinEsploraConfig(
        name="cold", esplora_url=BASE["esplora_url"], network="regtest", wallets=(flat,)
    )
    assert (config.wallets[0].gap_limit, config.min_confirmations, config.max_age_seconds) == (20, 6, 3 * 3600)
    # The registry's spec imports the adapter's module only when it builds one; its kind, role and
    # parser are the module's own.
    spec = get_spec("bitcoin-esplora")
    assert (spec.kind, spec.role, spec.parse_config) == (
        SPEC.kind,
        "reserve",
        SPEC.parse_config,
    ) and SPEC.role == "reserve"


@pytest.mark.parametrize(
    ("patch", "key"),
    [
        ({"gap_limit": 0}, "reserves.cold.gap_limit: must be an integer >= 1"),
        ({"gap_limit": "20"}, "reserves.cold.gap_limit"),
        ({"gap_limit": True}, "reserves.cold.gap_limit"),
        ({"min_confirmations": 0}, "reserves.cold.min_confirmations"),
        ({"retries": -1}, "reserves.cold.retries"),
        ({"concurrency": 1000}, "reserves.cold.concurrency"),
        ({"timeout_seconds": 0}, "reserves.cold.timeout_seconds"),
        ({"timeout_seconds": float("nan")}, "reserves.cold.timeout_seconds"),
        ({"max_age_seconds": 1.5}, "reserves.cold.max_age_seconds"),
        ({"network": "mainnet"}, "reserves.cold.network"),
        ({"esplora_url": "ftp://x"}, "reserves.cold.esplora_url"),
        ({"esplora_url": 42}, "reserves.cold.esplora_url"),
        ({"colour": "red"}, "reserves.cold.colour: unknown key"),
        ({"kind": "evm-erc20"}, "reserves.cold.kind"),
        ({"descriptors": "wpkh(...)"}, "reserves.cold.descriptors"),
        ({"descriptors": [7]}, "reserves.cold.descriptors[0]"),
        ({"descriptors": [BASE["descriptors"][0][:-1] + "x"]}, "reserves.cold.descriptors[0]: descriptor checksum"),
        ({"descriptors": ["wpkh(" + "x" * 10_000 + ")"]}, "reserves.cold.descriptors[0]"),
        ({"descriptors": [BASE["descriptors"][0]] * 101}, "reserves.cold.descriptors: at most"),
        ({"descriptors": [], "addresses": []}, "reserves.cold.wallets: declare at least one"),
        ({"addresses": "bcrt1q..."}, "reserves.cold.addresses"),
        ({"addresses": [5]}, "reserves.cold.addresses[0]"),
        ({"addresses": ["bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"]}, "reserves.cold.addresses[0]"),
        ({"addresses": ["x" * 5000]}, "reserves.cold.addresses[0]"),
    ],
)
def test_bad_values_name_their_key(patch: dict, key: str) -> None:
    with pytest.raises(ChainConfigError) as info:
        parse_config("cold", {**BASE, **patch})
    assert key in info.value.detail


def test_mainnet_descriptor_on_regtest_is_refused() -> None:
    xpub_desc = (
        "wpkh([73c5da0a/84h/0h/0h]"
        "xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V/0/*)"
    )
    with pytest.raises(ChainConfigError, match=r"reserves.cold.descriptors\[0\]: .*wrong network"):
        parse_config("cold", {**BASE, "descriptors": [xpub_desc]})


def test_url_credentials_never_in_errors() -> None:
    with pytest.raises(ChainConfigError) as info:
        parse_config("cold", {**BASE, "esplora_url": "gopher://user:s3cret@host/"})
    assert "s3cret" not in str(info.value)


_json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(BASE) + ["gap_limit", "addresses", "retries", "junk"]), _json_like))
def test_arbitrary_tables_give_config_or_config_error(patch: dict[str, Any]) -> None:
    try:
        config = parse_config("cold", {**BASE, **patch})
    except ChainConfigError as exc:
        assert exc.detail.startswith("reserves.cold")
    else:
        assert isinstance(config, BitcoinEsploraConfig)


def test_the_esplora_url_never_shows_in_the_config_repr():
    from chains.bitcoin.esplora.config import parse_config

    cfg = parse_config(
        "s",
        {
            "esplora_url": "https://esplora.invalid/api?key=SECRET123",
            "network": "main",
            "addresses": ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"],
        },
    )
    assert "SECRET123" not in repr(cfg)
