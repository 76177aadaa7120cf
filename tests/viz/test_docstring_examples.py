"""The examples in the viewer's docstrings are part of their contract: keep them true."""

import doctest
import importlib
import pkgutil

import pytest

import ploteries.viz

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(ploteries.viz.__path__, "ploteries.viz.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
