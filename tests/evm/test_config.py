"""parse_config of the `evm-erc20` adapter: every bad key is named, secrets are never echoed."""

from __future__ import annotations

from typing import Any

import pytest

from chains.errors import ChainConfigError
from chains.evm.config import EvmErc20Config, parse_config
from chains.registry import get_spec

ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"  # EIP-55 checksummed
GOOD = {"chain_id": "eip155:1", "rpc_url": "https://rpc.example/v3/SECRETKEY", "contract": ADDRESS}


def parse(**changes: Any) -> EvmErc20Config:
    mapping = {**GOOD, **changes}
    return parse_config("ethereum", {k: v for k, v in mapping.items() if v is not ...})


def test_defaults() -> None:
    config = parse()
    assert (config.name, config.chain_number, config.finality, config.confirmations) == (
        "ethereum",
        1,
        "confirmations",
        12,
    )
    assert (config.timeout_seconds, config.retries, config.max_age_seconds, config.expected_decimals) == (
        10,
        3,
        600,
        None,
    )
    assert "SECRETKEY" not in repr(config)


def test_registry_builds_it() -> None:
    spec = get_spec("evm-erc20")
    assert spec.role == "supply" and spec.kind == "evm-erc20"
    assert spec.parse_config("ethereum", dict(GOOD)) == parse()


def test_all_keys_accepted() -> None:
    config = parse(
        kind="evm-erc20",
        expected_decimals=8,
        confirmations=1,
        timeout_seconds=2.5,
        retries=0,
        max_age_seconds=60,
        contract=ADDRESS.lower(),
    )
    assert config.confirmations == 1 and config.expected_decimals == 8
    assert parse(finality="finalized").finality == "finalized"


def test_finalized_defaults_to_a_max_age_its_block_can_meet() -> None:
    # Ethereum's finalized block trails the head by ~13-19 minutes: 600 s would always be stale.
    assert parse(finality="finalized").max_age_seconds == 1800
    assert parse(finality="finalized", max_age_seconds=900).max_age_seconds == 900
    assert parse(finality="confirmations").max_age_seconds == 600
    direct = EvmErc20Config(
        name="x", chain_id="eip155:1", rpc_url="https://rpc.example", contract=ADDRESS, finality="finalized"
    )
    assert direct.max_age_seconds == 1800


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"contract": "0x1234"}, "deployments.ethereum.contract: not a 20-byte hex address"),
        ({"contract": "5FbDB2315678afecb367f032d93F642f64180aa3"}, ".contract: not a 20-byte hex address"),
        ({"contract": ADDRESS.replace("F", "f", 1)}, ".contract: mixed-case address with a bad EIP-55"),
        ({"contract": 12}, ".contract: must be a non-empty string"),
        ({"contract": ...}, ".contract: missing"),
        ({"chain_id": "1"}, ".chain_id: not a CAIP-2 EVM chain id"),
        ({"chain_id": "bip122:000000000019d6689c085ae165831e93"}, ".chain_id: not a CAIP-2"),
        ({"chain_id": "eip155:01"}, ".chain_id: not a CAIP-2"),
        ({"chain_id": 1}, ".chain_id: must be a non-empty string"),
        ({"rpc_url": "ftp://x"}, ".rpc_url: not an http(s) URL"),
        ({"rpc_url": ...}, ".rpc_url: missing"),
        ({"confirmations": -1}, ".confirmations: must be >= 1"),
        ({"confirmations": 0}, ".confirmations: must be >= 1"),  # the head is not confirmed
        ({"confirmations": "12"}, ".confirmations: must be an integer"),
        ({"confirmations": True}, ".confirmations: must be an integer"),
        ({"finality": "safe"}, ".finality: must be 'finalized' or 'confirmations'"),
        ({"finality": "finalized", "confirmations": 12}, ".confirmations: not allowed with finality"),
        ({"expected_decimals": 37}, ".expected_decimals: must be between 0 and 36"),
        ({"expected_decimals": 8.0}, ".expected_decimals: must be an integer"),
        ({"timeout_seconds": 0}, ".timeout_seconds: must be > 0"),
        ({"timeout_seconds": "10"}, ".timeout_seconds: must be a number"),
        ({"retries": 11}, ".retries: must be between 0 and 10"),
        ({"max_age_seconds": 0}, ".max_age_seconds: must be >= 1"),
        ({"kind": "bitcoin-esplora"}, ".kind: must be 'evm-erc20'"),
        ({"rpc": "x"}, "deployments.ethereum.rpc: unknown key"),
        ({"name": "x"}, "deployments.ethereum.name: unknown key"),
    ],
)
def test_bad_values_name_the_key(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ChainConfigError) as info:
        parse(**changes)
    assert message in info.value.detail
    assert "SECRETKEY" not in info.value.detail


def test_rpc_url_never_echoed() -> None:
    with pytest.raises(ChainConfigError) as info:
        parse(rpc_url="wss://node/SECRETKEY")
    assert "SECRETKEY" not in info.value.detail


def test_not_a_table() -> None:
    with pytest.raises(ChainConfigError, match="deployments.ethereum: must be a table"):
        parse_config("ethereum", ["not", "a", "table"])  # type: ignore[arg-type]  # the wrong type is the test
