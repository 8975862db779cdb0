"""The attestation library keeps its shape (DESIGN.md, layers): no import circle, imports at the top,
no private name crossing a module, small modules with a docstring; one table of formats."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from reserves.attestation import formats
from reserves.attestation.formats import load_schema
from tests.attestation.helpers import make_body, make_doc_v4, make_doc_v5

PACKAGE = Path(__file__).resolve().parents[2] / "reserves" / "attestation"
PREFIX = "reserves.attestation"


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def _targets(node: ast.ImportFrom | ast.Import) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) of one import statement, for our modules only."""
    if isinstance(node, ast.Import):
        return [(a.name, []) for a in node.names if a.name.startswith(PREFIX)]
    if not node.module or not node.module.startswith(PREFIX) or node.level:
        return []
    # `from package import module` imports the module; `from module import name` the module.
    subs = [a.name for a in node.names if f"{node.module}.{a.name}" in MODULES]
    rest = [a.name for a in node.names if f"{node.module}.{a.name}" not in MODULES]
    return [(f"{node.module}.{s}", []) for s in subs] + ([(node.module, rest)] if rest else [])


def _edges(name: str) -> set[str]:
    return {
        target
        for node in TREES[name].body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for target, _ in _targets(node)
        if target != name
    }


def test_no_import_circle():
    graph = {name: _edges(name) for name in MODULES}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            pytest.fail("import circle: " + " -> ".join(path[path.index(name) :] + [name]))
        if name in done or name not in graph:
            return
        for target in sorted(graph[name]):
            visit(target, path + [name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_imports_at_the_top():
    nested = [
        f"{name}:{node.lineno}"
        for name, tree in TREES.items()
        for top in tree.body
        if not isinstance(top, (ast.Import, ast.ImportFrom))
        for node in ast.walk(top)
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    assert not nested, nested


def _private(text: str) -> bool:
    return text.startswith("_") and not text.startswith("__")


def test_no_private_name_crosses_a_module():
    crossing = []
    for name, tree in TREES.items():
        aliases = set()
        for node in (n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))):
            for target, names in _targets(node):
                crossing += [f"{name} imports {target}.{n}" for n in names if _private(n)]
            aliases |= {
                a.asname or a.name
                for a in node.names
                if isinstance(node, ast.ImportFrom) and f"{node.module}.{a.name}" in MODULES
            }
        crossing += [
            f"{name} uses {node.value.id}.{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and _private(node.attr)
        ]
    assert not crossing, crossing


@pytest.mark.parametrize("name", sorted(MODULES))
def test_small_modules_with_a_docstring(name):
    assert len(MODULES[name].read_text(encoding="utf-8").splitlines()) <= 400
    doc = ast.get_docstring(TREES[name])
    assert doc and doc.splitlines()[0].strip(), f"{name} needs a one-line docstring"


def test_formats_are_one_table_in_order():
    rows = list(formats.FORMATS.values())
    assert [f.order for f in rows] == [1, 2, 3, 4, 5] and formats.CURRENT is rows[-1]
    assert [f.name for f in rows] == [f"reserves-attestation/{i}" for i in (1, 2, 3, 4, 5)]
    for row in rows:
        assert set(row.members) | {"signatures"} == set(load_schema(row.name)["properties"]), row.name
        for steps in (row.checks, row.chain_checks):
            assert len({s.name for s in steps}) == len(steps), row.name
        assert row.checks[0].name == "link", row.name


def test_a_built_body_lists_its_rows_members_in_order():
    assert tuple(make_body()) == formats.F3.members
    assert tuple(k for k in make_doc_v4() if k != "signatures") == formats.F4.members
    assert tuple(k for k in make_doc_v5() if k != "signatures") == formats.F5.members


def test_only_formats_with_build_steps_are_built():
    from reserves.attestation import Inputs, build
    from reserves.errors import InvalidInput

    with pytest.raises(InvalidInput, match="only verified"):
        build(Inputs(None, None, None, None), formats.F2)
