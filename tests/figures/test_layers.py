"""Imports point down only (DESIGN.md, Version 2): viz -> figures -> storage; compat -> storage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "ploteries"

FORBIDDEN = {
    "storage": ("ploteries.figures", "ploteries.viz", "ploteries.compat", "torch", "plotly", "dash"),
    "figures": ("ploteries.viz", "ploteries.compat", "torch", "plotly", "dash"),
    "compat": ("ploteries.viz", "ploteries.figures", "plotly", "dash"),
    "viz": ("ploteries.compat",),
}
ALLOWED = {("storage/reader.py", "ploteries.figures")}  # db.figures: imported on first use, for the user


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer):
    bad = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for name in imports(path):
            for banned in FORBIDDEN[layer]:
                if (name == banned or name.startswith(banned + ".")) and (rel, banned) not in ALLOWED:
                    bad.append(f"{rel} imports {name}")
    assert bad == []


def test_only_the_store_of_figures_touches_storage():
    users = sorted(
        p.name
        for p in (PACKAGE / "figures").glob("*.py")
        if any(n.startswith("ploteries.storage") for n in imports(p))
    )
    assert users == ["store.py"]
