"""The layers of DESIGN.md §3, module by module: what may import what, no circles, no private names
crossing a module, imports at the top (but in CLI entry points), test doubles under tests/, one home
for hex patterns. Checked on every module's AST, so a rule breaks here before it breaks in review.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("chains", "reserves", "portal")
# package -> our packages it must never import
FORBIDDEN = {"chains": {"reserves", "portal"}, "reserves": {"portal"}, "portal": {"chains"}}

# What `reserves` may take from `chains`: the interfaces everywhere, and each named door only where
# it is used. A new entry is a decision about the layers, made here, in review.
INTERFACES = {"chains.base", "chains.errors", "chains.registry", "chains.hexes"}
DOORS = {
    "chains.bitcoin.descriptors": {"reserves.proofs.library", "reserves.reconcile.run", "reserves.settings.tiers"},
    # Settings check a provider's Bitcoin addresses against its source's network with the parser the
    # reserve sources' own declarations go through (embit lives behind it).
    "chains.bitcoin.wallets": {
        "reserves.reconcile.checks",
        "reserves.attestation.members.contracts",
        "reserves.settings.providers",
    },
    # Data only (genesis hashes, CAIP-2 ids): settings name the chain a provider's Bitcoin leg is on.
    "chains.bitcoin.networks": {"reserves.settings.providers"},
    "chains.bitcoin.proofs.script_check": {"reserves.proofs.library"},
    "chains.bitcoin.proofs.signing": {"reserves.proofs.library"},
    "chains.bitcoin.spv": {"reserves.evidence.service"},
    "chains.bitcoin.esplora.client": {"reserves.evidence.service", "reserves.jobs.evidence"},
    "chains.bitcoin.esplora.adapter": {"reserves.evidence.service"},
    "chains.bitcoin.esplora.evidence_bundle": {"reserves.evidence.service"},
    "chains.bitcoin.esplora.reconcile_reads": {"reserves.reconcile.run", "reserves.reconcile.checks"},
    "chains.evm.config": {"reserves.monitor.replay"},
    "chains.evm.logs": {"reserves.monitor.replay", "reserves.monitor.store"},
    "chains.evm.logs_decode": {"reserves.monitor.replay", "reserves.monitor.store"},
    "chains.evm.anchor": {"reserves.worker.worker"},
    # The price adapters' protocol, reading and failure types: what a round needs to judge a source.
    "chains.price.base": {"reserves.prices.round", "reserves.jobs.prices"},
    # Settings check a provider's EVM addresses (EIP-55) where the deployments' holders are checked.
    "chains.evm.held": {"reserves.settings.providers"},
    # A balance reading is no registered adapter kind (no reserve or supply role): the module that
    # opens the providers' readers builds it, as the worker builds the anchor.
    "chains.evm.balances": {"reserves.providers.sources"},
}
DEVNET_FEATURE = "reserves.devnet"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules(*packages: str) -> dict[str, Path]:
    return {module_name(p): p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py"))}


MODULES = all_modules(*PACKAGES)
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for name, path in MODULES.items()}


def imports(tree: ast.AST, *, top_only: bool = False) -> list[tuple[ast.stmt, str, list[str]]]:
    """(statement, module, names taken) of each absolute import of our packages; `from pkg import mod`
    counts as importing the module `pkg.mod`."""
    nodes = tree.body if top_only else list(ast.walk(tree))
    out = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [(node, a.name, []) for a in node.names if a.name.split(".")[0] in PACKAGES]
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.level == 0
            and node.module.split(".")[0] in PACKAGES
        ):
            subs = [a.name for a in node.names if f"{node.module}.{a.name}" in MODULES]
            rest = [a.name for a in node.names if f"{node.module}.{a.name}" not in MODULES]
            out += [(node, f"{node.module}.{s}", []) for s in subs]
            if rest:
                out.append((node, node.module, rest))
    return out


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_points_the_wrong_way(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    wrong = {
        f"{p.relative_to(ROOT)} imports {name}" for p in files for name in imported_top_levels(p) & FORBIDDEN[package]
    }
    assert not wrong, sorted(wrong)


def test_migrations_import_only_reserves():
    for p in (ROOT / "migrations").rglob("*.py"):
        assert not imported_top_levels(p) & {"portal", "chains"}, p


def test_reserves_takes_from_chains_only_what_the_allow_list_names():
    wrong = []
    for name, tree in TREES.items():
        if not name.startswith("reserves"):
            continue
        for _, target, _ in imports(tree):
            if not target.startswith("chains") or target in INTERFACES:
                continue
            if target.startswith("chains.devnet"):
                if not name.startswith(DEVNET_FEATURE):
                    wrong.append(f"{name} imports {target}: only {DEVNET_FEATURE} may use the devnet")
            elif name not in DOORS.get(target, ()):
                wrong.append(f"{name} imports {target}, which the allow-list does not open to it")
    assert not wrong, wrong


def test_only_the_devnet_feature_imports_the_devnet_anywhere_in_the_product():
    wrong = [
        f"{name} imports {target}"
        for name, tree in TREES.items()
        for _, target, _ in imports(tree)
        if target.startswith("chains.devnet") and not name.startswith(("chains.devnet", DEVNET_FEATURE))
    ]
    assert not wrong, wrong


def test_no_import_circle():
    graph = {
        name: {t for _, t, _ in imports(tree, top_only=True) if t in MODULES and t != name}
        for name, tree in TREES.items()
    }
    # A package's __init__ importing its own modules is how packages work, not a circle of features.
    graph = {
        n: {t for t in ts if not (n == t.rsplit(".", 1)[0] and MODULES[n].name == "__init__.py")}
        for n, ts in graph.items()
    }
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                pytest.fail("import circle: " + " -> ".join(path[path.index(target) :] + [name, target]))
            if target not in state:
                visit(target, path + [name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_no_private_name_crosses_a_module():
    wrong = [
        f"{name} imports {target}.{n}"
        for name, tree in TREES.items()
        for _, target, names in imports(tree)
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert not wrong, wrong


def _type_checking_only(tree: ast.AST) -> set[ast.stmt]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out |= {n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))}
    return out


def test_imports_sit_at_the_top_except_in_cli_entry_points():
    wrong = []
    for name, tree in TREES.items():
        if name.startswith("portal.cli"):
            continue  # commands defer heavy imports so that `reserves --help` stays fast
        top = set(tree.body) | _type_checking_only(tree)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and node not in top:
                wrong.append(f"{MODULES[name].relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert not wrong, wrong


def test_test_doubles_live_under_tests():
    wrong = [
        str(p.relative_to(ROOT))
        for name, p in MODULES.items()
        if re.search(r"test double", p.read_text(encoding="utf-8"), re.I)
        or re.search(r"(^|_)(double|fake|mock)s?$", name.rsplit(".", 1)[-1])
    ]
    assert not wrong, wrong


def _code(path: Path) -> str:
    """The module's text without its comments (which may quote a pattern to explain it)."""
    return "\n".join(line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())


def test_hex_patterns_have_one_home():
    """A 32-byte hex pattern (txid, hash, id, key) is written once, in chains/hexes.py."""
    pattern = re.compile(r"\[0-9a-f(A-F)?\]\{(40|64|128|130)\}")
    wrong = [
        str(p.relative_to(ROOT)) for name, p in MODULES.items() if name != "chains.hexes" and pattern.search(_code(p))
    ]
    assert not wrong, wrong


def test_no_versioned_module_names():
    """Formats are rows of reserves.attestation.formats, never `*_v5.py` files."""
    wrong = [name for name in MODULES if re.search(r"_v\d+$", name)]
    assert not wrong, wrong


def test_the_checkers_see_what_they_check(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("def f():\n    from portal.app import create_app\n")
    assert "portal" in imported_top_levels(bad)
    tree = ast.parse(
        "import reserves.read.service\nfrom reserves.snapshot import take\n"
        "from reserves.snapshot.take import _x, take_snapshot\ndef g():\n    import chains.base\n"
    )
    got = [(t, n) for _, t, n in imports(tree)]
    assert ("reserves.read.service", []) in got and ("reserves.snapshot.take", []) in got
    assert ("reserves.snapshot.take", ["_x", "take_snapshot"]) in got and ("chains.base", []) in got
    assert len(imports(tree, top_only=True)) == 3
