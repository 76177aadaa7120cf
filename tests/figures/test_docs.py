"""docs/figures.md and the docstrings are part of the contract: every example there must stay true."""

from __future__ import annotations

import doctest
import importlib
import json
import re
from pathlib import Path

import pytest

import ploteries
from ploteries.figures import build_figure, strip_store_keys, validate_definition

go = pytest.importorskip("plotly.graph_objects")

DOC = Path(__file__).parents[2] / "docs" / "figures.md"
EXAMPLES = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", DOC.read_text(), re.S)]
MODULES = [
    "ploteries.figures",
    "ploteries.figures.schema",
    "ploteries.figures.cards",
    "ploteries.figures.data",
    "ploteries.figures.templates",
    "ploteries.storage.maintenance",
    "ploteries.commands.figures",
]


def test_the_doc_has_an_example_per_trace_family():
    kinds = {t["type"] for e in EXAMPLES for t in e["figure"]["data"]}
    assert {"scatter", "bar", "heatmap", "surface", "box", "violin", "histogram", "indicator"} <= kinds
    assert any(b.get("aggregate") == "runs" for e in EXAMPLES for b in e.get("series", {}).values())
    assert any(len(e.get("series", {})) > 1 for e in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_doc_examples_validate_and_draw(example, sample_db):
    db = ploteries.open(sample_db)
    db.figures.add(example)
    stored = db.figures.get(example["id"])
    assert validate_definition(example) == strip_store_keys(stored)
    fig = build_figure(stored, db)
    assert len(fig["data"]) >= len(stored["figure"]["data"])  # every binding matches the sample database
    go.Figure(fig)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0 or name.endswith("maintenance")
