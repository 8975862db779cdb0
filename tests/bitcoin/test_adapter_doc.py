"""docs/adapters.md stays true: its names exist, and its example adapter registers, satisfies the
protocols and passes the reserve conformance suite against the devnet."""

from __future__ import annotations

import builtins
import importlib
import re
import sys
import tomllib
from collections.abc import AsyncIterator, Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from chains import registry
from chains.base import AdapterSpec, ReserveAdapter, ReserveSourceConfig
from chains.bitcoin.esplora.adapter import chain_id
from chains.errors import ChainConfigError
from tests.bitcoin.conformance import ReserveAdapterConformance
from tests.bitcoin.conftest import Devnet
from tests.protocol_checks import assert_conforms

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "adapters.md").read_text(encoding="utf-8")
MODULE = "watch_only_example"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC, flags=re.S)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The example adapter of the doc, imported as the module its entry point names."""
    source = next(b for b in blocks("python") if "SPEC = Spec(" in b)
    folder = tmp_path_factory.mktemp("plugin")
    (folder / f"{MODULE}.py").write_text(source, encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(MODULE)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop(MODULE, None)


def resolve(dotted: str) -> Any:
    """The object a dotted name of ours names (a module, or an attribute of the longest module prefix)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            found = getattr(found, attr)
        return found
    raise LookupError(dotted)


def test_every_name_the_doc_gives_exists(example: ModuleType) -> None:
    for dotted in sorted(set(re.findall(r"\b(?:chains|tests)(?:\.\w+)+", DOC))):
        resolve(dotted.removesuffix(".py"))
    for path in sorted(set(re.findall(r"`((?:tests|chains|docs)/[\w/]+\.(?:py|md))`", DOC))):
        assert (ROOT / path).is_file(), path
    homes = [
        resolve(m)
        for m in (
            "chains.base",
            "chains.errors",
            "chains.registry",
            "chains.retry",
            "tests.bitcoin.conformance",
            "tests.evm.conformance",
        )
    ] + [example, builtins]
    for name in sorted(set(re.findall(r"`([A-Z]\w+)`", DOC))):
        assert any(hasattr(home, name) for home in homes), name


def entry_point(value: str) -> EntryPoint:
    return EntryPoint(name="example-watch-only", value=value, group=registry.ENTRY_POINT_GROUP)


def test_the_example_registers_through_its_entry_point(example: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    declared = tomllib.loads(next(b for b in blocks("toml") if "entry-points" in b))
    value = declared["project"]["entry-points"][registry.ENTRY_POINT_GROUP]["example-watch-only"]
    monkeypatch.setattr(
        registry, "entry_points", lambda group: [entry_point(value)] if group == registry.ENTRY_POINT_GROUP else []
    )
    assert "example-watch-only" in registry.available_kinds()
    spec = registry.get_spec("example-watch-only")
    assert spec is example.SPEC and spec.kind == "example-watch-only"
    assert_conforms(spec, AdapterSpec)


def test_the_operators_table_parses(example: ModuleType) -> None:
    entry = dict(tomllib.loads(next(b for b in blocks("toml") if "[[reserves]]" in b))["reserves"][0])
    name, _ = entry.pop("name"), entry.pop("kind")
    entry["esplora_url"] = "https://esplora.example/api"  # what esplora_url_env resolves to
    entry.pop("esplora_url_env")
    config = example.parse_config(name, entry)
    assert_conforms(config, ReserveSourceConfig)
    assert "esplora.example" not in repr(config)
    with pytest.raises(ChainConfigError, match=r"^reserves\.cold\.min_confirmations: "):
        example.parse_config(name, {**entry, "min_confirmations": True})
    with pytest.raises(ChainConfigError, match=r"^reserves\.cold\.colour: unknown key"):
        example.parse_config(name, {**entry, "colour": "blue"})


class ExampleReserveEnv:
    """ReserveEnv over the devnet for the doc's example: one declared address, the `tr` reserve's child 1."""

    chain_id = chain_id("regtest")

    def __init__(self, devnet: Devnet, spec: AdapterSpec) -> None:
        self.devnet, self.spec = devnet, spec
        self.address = devnet.chain.wallets.reserve_address("tr", 1)
        self.adapters: list[ReserveAdapter] = []

    def make_adapter(self, **overrides: Any) -> ReserveAdapter:
        table = {"esplora_url": self.devnet.url, "network": "regtest", "addresses": [self.address], **overrides}
        adapter = self.spec.build(self.spec.parse_config("doc-example", table))
        self.adapters.append(adapter)
        return adapter

    def deposit(self, value_sat: int) -> None:
        chain = self.devnet.chain
        chain.send(self.address, value_sat, from_wallet=chain.wallets.funding)

    def mine(self, n: int) -> None:
        self.devnet.chain.mine(n)

    def tip(self) -> tuple[int, str]:
        return self.devnet.chain.tip_height, self.devnet.chain.tip_hash


class TestDocExampleReserveConformance(ReserveAdapterConformance):
    @pytest.fixture
    async def reserve_adapter_env(self, devnet: Devnet, example: ModuleType) -> AsyncIterator[ExampleReserveEnv]:
        env = ExampleReserveEnv(devnet, example.SPEC)
        yield env
        for adapter in env.adapters:
            await adapter.aclose()
