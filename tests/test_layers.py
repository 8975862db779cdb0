"""The import direction of DESIGN.md: chains <- reserves <- portal, checked on every module's AST."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# package -> our packages it must never import
FORBIDDEN = {"chains": {"reserves", "portal"}, "reserves": {"portal"}, "portal": {"chains"}}


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
    wrong = {f"{p.relative_to(ROOT)} imports {name}"
             for p in files for name in imported_top_levels(p) & FORBIDDEN[package]}
    assert not wrong, sorted(wrong)


def test_the_checker_sees_a_wrong_import(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("def f():\n    from portal.app import create_app\n")
    assert "portal" in imported_top_levels(bad)


def test_migrations_import_only_reserves():
    for p in (ROOT / "migrations").rglob("*.py"):
        assert not imported_top_levels(p) & {"portal", "chains"}, p
