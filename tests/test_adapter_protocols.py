"""Every built-in adapter kind against the protocols of chains.base: its spec, its config, its adapter."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import pytest

from chains import registry
from chains.base import (
    AdapterSpec,
    ReserveAdapter,
    ReserveSourceConfig,
    SourceConfig,
    SupplyAdapter,
    SupplySourceConfig,
)
from chains.bitcoin.wallets import WalletSpec
from chains.devnet.btc_wallet import DevnetWallets
from chains.errors import ChainConfigError
from chains.price.base import PriceAdapter
from chains.registry import available_kinds, get_spec
from tests.protocol_checks import assert_conforms, conforms, members

DESCRIPTOR = DevnetWallets().reserve_descriptors["tr"]
EVM_TOKEN = "0x52908400098527886E0F7030069857D2E4169EE7"  # EIP-55 test vector
SOLANA_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
SOLANA_MAINNET = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp"
# One minimal TOML table per built-in kind (no I/O: parse_config and build never call a node).
TABLES: dict[str, dict[str, Any]] = {
    "bitcoin-esplora": {"esplora_url": "http://127.0.0.1:3002", "network": "regtest", "descriptors": [DESCRIPTOR]},
    "bitcoin-core-rpc": {
        "rpc_url": "http://user:pass@127.0.0.1:18443",
        "network": "regtest",
        "descriptors": [DESCRIPTOR],
    },
    "bitcoin-quorum": {
        "network": "regtest",
        "descriptors": [DESCRIPTOR],
        "backends": [
            {"kind": "bitcoin-esplora", "esplora_url": "http://127.0.0.1:3002"},
            {"kind": "bitcoin-core-rpc", "rpc_url": "http://127.0.0.1:18443"},
        ],
    },
    "evm-erc20": {"chain_id": "eip155:1", "rpc_url": "https://rpc.example", "contract": EVM_TOKEN},
    "solana-spl": {
        "chain_id": SOLANA_MAINNET,
        "rpc_url": "https://rpc.example",
        "mint": SOLANA_MINT,
        "expected_decimals": 8,
    },
    "price-ticker": {"pair": "BTC/USD", "format": "kraken", "url": "https://api.example"},
    "price-feed": {"pair": "BTC/USD", "rpc_url": "https://rpc.example", "contract": EVM_TOKEN},
}


def test_every_builtin_kind_has_a_sample_table() -> None:
    assert sorted(available_kinds()) == sorted(TABLES)


@pytest.mark.parametrize("kind", sorted(TABLES))
async def test_spec_config_and_adapter_satisfy_the_protocols(kind: str) -> None:
    spec = get_spec(kind)
    assert_conforms(spec, AdapterSpec)
    assert spec.kind == kind
    config = spec.parse_config("sample", dict(TABLES[kind]))
    reserve, price = spec.role == "reserve", spec.role == "price"
    if not price:  # a price source has no max_age_seconds: the round judges its readings' age (reserves.prices)
        assert_conforms(config, SourceConfig)
        assert_conforms(config, ReserveSourceConfig if reserve else SupplySourceConfig)
    assert config.name == "sample"
    assert dataclasses.is_dataclass(config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.name = "changed"  # type: ignore[misc]  # frozen: the test checks it refuses
    adapter = spec.build(config)
    try:
        assert isinstance(adapter, PriceAdapter if price else ReserveAdapter if reserve else SupplyAdapter)
        assert (adapter.kind, adapter.name) == (kind, "sample")
    finally:
        await adapter.aclose()


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_the_registry_parses_with_the_adapters_own_parse_config(kind: str) -> None:
    """The registry imports a built-in kind's parse_config apart from its adapter's module (parsing a
    configuration imports no node client): role and parser must be those of the adapter's own spec."""
    own = registry._load(registry._BUILTINS[kind].spec)
    spec = get_spec(kind)
    assert (spec.kind, spec.role, spec.parse_config) == (own.kind, own.role, own.parse_config)


def test_the_token_address_is_the_contract_whatever_the_chain() -> None:
    evm = get_spec("evm-erc20").parse_config("eth", dict(TABLES["evm-erc20"]))
    sol = get_spec("solana-spl").parse_config("sol", dict(TABLES["solana-spl"]))
    assert (evm.contract, sol.contract) == (EVM_TOKEN, SOLANA_MINT)
    # The default the engine supplied with getattr(..., 3600) is never needed: each kind declares its own.
    assert (evm.max_age_seconds, sol.max_age_seconds) == (600, 600)


def test_the_checks_see_a_config_that_does_not_conform() -> None:
    @dataclasses.dataclass(frozen=True)
    class NoAge:
        name: str

    @dataclasses.dataclass(frozen=True)
    class BoolAge:
        name: str
        max_age_seconds: Any

    assert not isinstance(NoAge("x"), SourceConfig)
    with pytest.raises(AssertionError, match="max_age_seconds"):
        assert_conforms(BoolAge("x", True), SourceConfig)
    assert not conforms((WalletSpec.__new__(WalletSpec), "x"), members(ReserveSourceConfig)["wallets"])


@pytest.mark.parametrize(
    ("plugin", "accepted"),
    [
        (SimpleNamespace(kind="moon", role="supply", parse_config=lambda n, t: None, build=lambda c: None), True),
        (SimpleNamespace(kind="moon", role="oracle", parse_config=lambda n, t: None, build=lambda c: None), False),
        (SimpleNamespace(kind="moon", role="supply", parse_config=None, build=lambda c: None), False),
        (object(), False),
    ],
)
def test_a_plugin_needs_only_the_adapter_spec_protocol(
    monkeypatch: pytest.MonkeyPatch, plugin: Any, accepted: bool
) -> None:
    entry = SimpleNamespace(name="moon", load=lambda: plugin)
    monkeypatch.setattr(registry, "entry_points", lambda group: [entry] if group == registry.ENTRY_POINT_GROUP else [])
    if accepted:
        assert get_spec("moon") is plugin
    else:
        with pytest.raises(ChainConfigError, match="does not point at an AdapterSpec"):
            get_spec("moon")
