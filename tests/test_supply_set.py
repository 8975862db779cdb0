"""Deployment roles: bridges linked to a native source, lockboxes moved to its held list, every bad link named."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from chains.base import HeldAddress
from reserves.declarations.supply_set import MAX_LOCKBOXES, link_deployments
from reserves.devnet.manifest import FORMAT, apply
from reserves.errors import ConfigError
from reserves.settings.load import default_settings, load_settings
from reserves.settings.model import SourceSettings

ENV = {"RESERVES_DATABASE_URL": "postgresql+psycopg://u:p@db/r"}
BOX_A = "0x" + "a1" * 20
BOX_B = "0x" + "b2" * 20

RESERVES = """
[[reserves]]
name = "cold"
kind = "bitcoin-esplora"
esplora_url = "https://esplora.invalid/api"
network = "main"
addresses = ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]
"""


def deployment(name: str, chain: int, extra: str = "") -> str:
    return (
        f'[[deployments]]\nname = "{name}"\nkind = "evm-erc20"\nchain_id = "eip155:{chain}"\n'
        f'rpc_url = "https://rpc{chain}.invalid"\ncontract = "0x{chain % 256:02x}{"12" * 19}"\n{extra}\n'
    )


def bridge(name: str, chain: int, source: str = "eth", boxes: str | None = None) -> str:
    if boxes is None:
        boxes = f'lockboxes = [{{address = "{BOX_A}", reason = "gateway of {name}"}}]'
    return deployment(name, chain, f'role = "bridge"\nbridge_source = "{source}"\n{boxes}')


def load(tmp_path: Path, deployments: str):
    p = tmp_path / "reserves.toml"
    p.write_text(RESERVES + deployments)
    return load_settings(p, env=ENV)


def refused(tmp_path: Path, deployments: str) -> str:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, deployments)
    return err.value.detail


def test_a_bridge_puts_its_lockboxes_on_its_source(tmp_path):
    boxes = (
        f'lockboxes = [{{address = "{BOX_A}", reason = "L1 gateway"}}, '
        f'{{address = "{BOX_B}", reason = "fast-exit escrow", category = "escrow"}}]'
    )
    s = load(tmp_path, deployment("eth", 1) + bridge("arb", 42161, boxes=boxes))
    eth, arb = s.deployments
    assert (eth.supply_role, eth.bridge_source, eth.lockboxes) == ("native", None, ())
    assert (arb.supply_role, arb.bridge_source) == ("bridge", "eth")
    assert eth.config.held == (
        HeldAddress(BOX_A, "lockbox", "L1 gateway", "arb"),
        HeldAddress(BOX_B, "escrow", "fast-exit escrow", "arb"),
    )
    assert arb.config.held == () and arb.lockboxes == eth.config.held


def test_two_bridges_of_one_source_and_a_plain_native(tmp_path):
    boxes = f'lockboxes = [{{address = "{BOX_B}", reason = "op bridge"}}]'
    s = load(
        tmp_path, deployment("eth", 1) + bridge("arb", 42161) + bridge("op", 10, boxes=boxes) + deployment("bsc", 56)
    )
    held = {h.bridge: h.address for h in s.deployments[0].config.held}
    assert held == {"arb": BOX_A, "op": BOX_B} and s.deployments[3].config.held == ()


def test_a_bridge_may_be_declared_before_its_source(tmp_path):
    s = load(tmp_path, bridge("arb", 42161) + deployment("eth", 1))
    assert [h.bridge for h in s.deployments[1].config.held] == ["arb"]


@pytest.mark.parametrize(
    "deployments, key",
    [
        (deployment("eth", 1, 'role = "sidechain"'), "deployments.eth.role"),
        (deployment("eth", 1, "role = 1"), "deployments.eth.role"),
        (deployment("eth", 1, 'bridge_source = "x"'), "deployments.eth.bridge_source"),
        (deployment("eth", 1, f'lockboxes = [{{address = "{BOX_A}", reason = "r"}}]'), "deployments.eth.lockboxes"),
        (
            deployment("eth", 1) + deployment("arb", 42161, 'role = "bridge"\nlockboxes = []'),
            "deployments.arb.bridge_source",
        ),
        (deployment("eth", 1) + bridge("arb", 42161, source="nowhere"), "deployments.arb.bridge_source: no deployment"),
        (deployment("eth", 1) + bridge("arb", 42161, source="arb"), "deployments.arb.bridge_source: a bridge cannot"),
        (deployment("eth", 1) + bridge("arb", 42161, boxes=""), "deployments.arb.lockboxes: a bridge needs"),
        (
            deployment("eth", 1) + bridge("arb", 42161, boxes="lockboxes = []"),
            "deployments.arb.lockboxes: a bridge needs",
        ),
        (deployment("eth", 1) + bridge("arb", 42161, boxes=f'lockboxes = "{BOX_A}"'), "deployments.arb.lockboxes"),
        (deployment("eth", 1) + bridge("arb", 42161, boxes=f'lockboxes = ["{BOX_A}"]'), "deployments.arb.lockboxes[0]"),
        (
            deployment("eth", 1) + bridge("arb", 42161, boxes='lockboxes = [{reason = "r"}]'),
            "deployments.arb.lockboxes[0].address",
        ),
        (
            deployment("eth", 1) + bridge("arb", 42161, boxes='lockboxes = [{address = "0x 12", reason = "r"}]'),
            "deployments.arb.lockboxes[0].address",
        ),
        (
            deployment("eth", 1) + bridge("arb", 42161, boxes=f'lockboxes = [{{address = "{BOX_A}"}}]'),
            "deployments.arb.lockboxes[0].reason",
        ),
        (
            deployment("eth", 1)
            + bridge("arb", 42161, boxes=f'lockboxes = [{{address = "{BOX_A}", reason = "{"r" * 201}"}}]'),
            "deployments.arb.lockboxes[0].reason",
        ),
        (
            deployment("eth", 1)
            + bridge("arb", 42161, boxes=f'lockboxes = [{{address = "{BOX_A}", reason = "r", category = "treasury"}}]'),
            "deployments.arb.lockboxes[0].category",
        ),
        (
            deployment("eth", 1)
            + bridge("arb", 42161, boxes=f'lockboxes = [{{address = "{BOX_A}", reason = "r", x = 1}}]'),
            "deployments.arb.lockboxes[0].x",
        ),
        (
            deployment("eth", 1)
            + bridge(
                "arb",
                42161,
                boxes=f'lockboxes = [{{address = "{BOX_A}", reason = "r"}}, '
                f'{{address = "{BOX_A.upper().replace("0X", "0x")}", reason = "s"}}]',
            ),
            "deployments.arb.lockboxes[1].address: ",
        ),
        # a lockbox two bridges claim would be subtracted once but counted by both
        (deployment("eth", 1) + bridge("arb", 42161) + bridge("op", 10), "deployments.op.lockboxes[0].address"),
        # a bridge of a bridge, and a cycle
        (
            deployment("eth", 1) + bridge("arb", 42161) + bridge("nova", 42170, source="arb"),
            "deployments.nova.bridge_source: 'arb' is a bridge",
        ),
        (bridge("a", 5, source="b") + bridge("b", 6, source="a"), "deployments.a.bridge_source: 'b' is a bridge"),
    ],
)
def test_every_bad_link_is_named(tmp_path, deployments, key):
    detail = refused(tmp_path, deployments)
    assert key in detail, detail


def test_too_many_lockboxes(tmp_path):
    many = ", ".join(f'{{address = "0x{i:040x}", reason = "r"}}' for i in range(MAX_LOCKBOXES + 1))
    assert "at most" in refused(tmp_path, deployment("eth", 1) + bridge("arb", 42161, boxes=f"lockboxes = [{many}]"))


def source(name, config, role="native", bridge_source=None, lockboxes=(), kind="evm-erc20"):
    return SourceSettings(name, kind, "supply", config, role, bridge_source, lockboxes)


def test_a_source_that_cannot_read_balances_is_refused():
    box = HeldAddress(BOX_A, "lockbox", "r", "arb")
    no_held = SimpleNamespace(chain_id="x:1")
    with pytest.raises(ConfigError, match="deployments.arb.bridge_source: kind odd-chain cannot read lockbox"):
        link_deployments(
            [source("sol", no_held, kind="odd-chain"), source("arb", SimpleNamespace(held=()), "bridge", "sol", (box,))]
        )


def test_a_bridge_with_exclusions_of_its_own_is_refused():
    box = HeldAddress(BOX_A, "lockbox", "r", "arb")
    own = SimpleNamespace(held=(HeldAddress(BOX_B, "burn", "dead"),))
    with pytest.raises(ConfigError, match="deployments.arb.exclusions"):
        link_deployments([source("eth", SimpleNamespace(held=())), source("arb", own, "bridge", "eth", (box,))])


@dataclass(frozen=True)
class Checked:
    """Test double of an adapter config whose own check refuses some held list."""

    held: tuple = ()

    def __post_init__(self):
        from chains.errors import ChainConfigError

        if any(h.address == "bad" for h in self.held):
            raise ChainConfigError("deployments.eth.held: not an address")


def test_the_source_config_checks_the_longer_held_list_again():
    box = HeldAddress("bad", "lockbox", "r", "arb")
    with pytest.raises(ConfigError, match=r"deployments.arb.lockboxes\[0\]: deployments.eth.held: not an address"):
        link_deployments([source("eth", Checked()), source("arb", Checked(), "bridge", "eth", (box,))])


def test_a_lockbox_that_is_also_an_exclusion_is_refused():
    box = HeldAddress(BOX_A, "lockbox", "r", "arb")
    eth = Checked(held=(HeldAddress(BOX_A.upper().replace("0X", "0x"), "treasury", "ours"),))
    with pytest.raises(ConfigError, match="by a treasury exclusion"):
        link_deployments([source("eth", eth), source("arb", Checked(), "bridge", "eth", (box,))])


def test_an_exclusion_naming_a_bridge_must_name_a_bridge_of_its_deployment():
    own = HeldAddress(BOX_B, "escrow", "r", "arb")
    box = HeldAddress(BOX_A, "lockbox", "r", "arb")
    ok = link_deployments([source("eth", Checked(held=(own,))), source("arb", Checked(), "bridge", "eth", (box,))])
    assert [h.bridge for h in ok[0].config.held] == ["arb", "arb"]
    for bad in ("nowhere", "eth", "bsc"):
        with pytest.raises(ConfigError, match=r"deployments.eth.exclusions\[0\].bridge"):
            link_deployments(
                [source("eth", Checked(held=(HeldAddress(BOX_B, "escrow", "r", bad),))), source("bsc", Checked())]
            )


def _manifest(deployments: list[dict]) -> dict:
    return {"format": FORMAT, "reserves": [], "deployments": deployments, "mint_fee_bp": 20}


def test_devnet_deployment_tables_may_carry_roles(tmp_path):
    base = {"kind": "evm-erc20", "rpc_url": "http://127.0.0.1:1", "expected_decimals": 8}
    entries = [
        {**base, "name": "eth", "chain_id": "eip155:1337", "contract": "0x" + "11" * 20},
        {
            **base,
            "name": "arb",
            "chain_id": "eip155:1338",
            "contract": "0x" + "22" * 20,
            "role": "bridge",
            "bridge_source": "eth",
            "lockboxes": [{"address": BOX_A, "reason": "devnet gateway"}],
        },
    ]
    linked = apply(default_settings(tmp_path), _manifest(entries)).deployments
    assert linked[0].config.held == (HeldAddress(BOX_A, "lockbox", "devnet gateway", "arb"),)
    assert linked[1].supply_role == "bridge" and entries[1]["role"] == "bridge"  # the caller's table kept
    with pytest.raises(ConfigError, match="devnet manifest: deployments.arb.lockboxes"):
        apply(default_settings(tmp_path), _manifest([entries[0], {**entries[1], "lockboxes": []}]))


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        {"format": "x"},
        {"format": FORMAT, "reserves": [], "deployments": []},
        {"format": FORMAT, "reserves": "x", "deployments": [], "mint_fee_bp": 1},
        {"format": FORMAT, "reserves": [], "deployments": [], "mint_fee_bp": True},
        {"format": FORMAT, "reserves": [{"name": "r"}], "deployments": [], "mint_fee_bp": 1},
    ],
)
def test_a_malformed_devnet_manifest_is_a_config_error(tmp_path, bad):
    with pytest.raises(ConfigError, match="devnet manifest"):
        apply(default_settings(tmp_path), bad)


def test_the_documented_bridge_example_loads(tmp_path):
    import re

    doc = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text()
    block = next(b for b in re.findall(r"```toml\n(.*?)```", doc, flags=re.S) if 'role = "bridge"' in b)
    p = tmp_path / "reserves.toml"
    p.write_text(RESERVES + block)
    s = load_settings(
        p, env={**ENV, "ETH_RPC_URLS": "https://a.invalid/K https://b.invalid/K", "ARB_RPC_URL": "https://arb.invalid"}
    )
    eth, arb = s.deployments
    assert [h.category for h in eth.config.held] == ["treasury", "lockbox"] and arb.bridge_source == "ethereum"
